/**
 * The webhook sink: an HTTP POST of the alert JSON (`Content-Type: application/json`) with a timeout, and
 * retries with exponential backoff and jitter inside one delivery.
 *
 * What a response means:
 *  - 2xx: delivered.
 *  - 408, 425, 429 and 5xx, timeouts and network errors: transient — retried here, then (if still failing) kept in
 *    the outbox and retried on later ticks. Retry-After is honoured (capped by the backoff maximum).
 *  - any other 4xx: permanent — the receiver rejects this request as it is; sending it again cannot help.
 *  - 3xx: permanent — redirects are not followed, because fetch would turn the POST into a GET and drop the alert.
 *
 * The alert id goes along as `Idempotency-Key`, so a receiver can drop the duplicate that at-least-once delivery
 * allows (a crash between the receiver's 2xx and our recording of it).
 */
import type { Alert } from '../types.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { asDeliveryError, DeliveryError, type AlertSink } from './types.js';

export interface WebhookOptions {
  readonly name: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Further attempts within one delivery after the first fails (0 = one attempt per tick). */
  readonly retries: number;
  readonly backoff: BackoffPolicy;
  /** Waits between attempts (injectable so tests need not wait in real time). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const TRANSIENT_4XX: ReadonlySet<number> = new Set([408, 425, 429]);
const MAX_BODY_IN_ERROR = 200;
export const MAX_WAIT_IN_DELIVERY_MS = 30_000;

export class WebhookSink implements AlertSink {
  readonly name: string;
  readonly description: string;

  constructor(private readonly options: WebhookOptions) {
    this.name = options.name;
    this.description = `webhook ${describeWebhook(options.url, options.headers)}`;
  }

  async deliver(alert: Alert): Promise<void> {
    const body = JSON.stringify(alert);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.post(body, alert.alertId);
        return;
      } catch (thrown) {
        const error = asDeliveryError(thrown);
        if (error.permanent || attempt >= this.options.retries) throw error;
        const wanted = error.retryAfterMs ?? backoffDelay(this.options.backoff, attempt + 1, this.options.random);
        // A long wait is the outbox's job (between ticks), so a stop request is never held up by a sleep here.
        if (wanted > MAX_WAIT_IN_DELIVERY_MS) throw error;
        await (this.options.sleep ?? sleep)(Math.min(this.options.backoff.maxMs, wanted));
      }
    }
  }

  async close(): Promise<void> {}

  private async post(body: string, alertId: string): Promise<void> {
    const target = `POST ${maskedUrl(this.options.url)}`;
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { ...this.options.headers, 'content-type': 'application/json', 'idempotency-key': alertId },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new DeliveryError(`${target}: ${networkReason(error, this.options.timeoutMs)}`, false);
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 200 && response.status < 300) return;
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    const detail = text.trim() === '' ? '' : `: ${text.trim().slice(0, MAX_BODY_IN_ERROR)}`;
    if (response.status >= 300 && response.status < 400) {
      throw new DeliveryError(`${target}: ${status} (redirects are not followed; configure the final URL)`, true);
    }
    const transient = response.status >= 500 || TRANSIENT_4XX.has(response.status);
    throw new DeliveryError(`${target}: ${status}${detail}`, !transient, retryAfterMs(response.headers.get('retry-after')));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no response within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return cause?.code ? `${message} (${cause.code})` : cause?.message ? `${message} (${cause.message})` : message;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** The URL without credentials, query or fragment: those may carry tokens. */
export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const query = parsed.search ? '?***' : '';
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${query}`;
  } catch {
    return '(invalid URL)';
  }
}

/** URL and header names, never header values (Authorization, API keys). */
export function describeWebhook(url: string, headers: Readonly<Record<string, string>>): string {
  const names = Object.keys(headers);
  return names.length === 0 ? maskedUrl(url) : `${maskedUrl(url)} (headers: ${names.map((name) => `${name}: ***`).join(', ')})`;
}
