/**
 * Sinks from their configuration.
 */
import type { Writable } from 'node:stream';
import type { BackoffPolicy } from './backoff.js';
import { JsonlSink } from './jsonl.js';
import { StdoutSink } from './stdout.js';
import type { AlertSink } from './types.js';
import { WebhookSink } from './webhook.js';

export type SinkSpec =
  | { readonly type: 'stdout'; readonly name: string }
  | { readonly type: 'jsonl'; readonly name: string; readonly path: string }
  | {
      readonly type: 'webhook';
      readonly name: string;
      readonly url: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly timeoutMs: number;
      readonly retries: number;
      readonly backoffMs: number;
      readonly maxBackoffMs: number;
    };

export interface CreatedSink {
  readonly sink: AlertSink;
  /** Backoff between ticks for this sink's failed deliveries. */
  readonly backoff?: BackoffPolicy;
}

export function createSink(spec: SinkSpec, io: { readonly stdout?: Writable } = {}): CreatedSink {
  switch (spec.type) {
    case 'stdout':
      return { sink: new StdoutSink(spec.name, io.stdout) };
    case 'jsonl':
      return { sink: new JsonlSink(spec.name, spec.path) };
    case 'webhook': {
      const backoff = { baseMs: spec.backoffMs, maxMs: spec.maxBackoffMs };
      const sink = new WebhookSink({ name: spec.name, url: spec.url, headers: spec.headers, timeoutMs: spec.timeoutMs, retries: spec.retries, backoff });
      return { sink, backoff };
    }
  }
}
