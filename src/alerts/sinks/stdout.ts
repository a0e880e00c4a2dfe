/**
 * The stdout sink: one JSON line per alert on standard output (log lines of the watcher go to stderr, so
 * stdout can be piped straight into another tool).
 */
import type { Writable } from 'node:stream';
import type { Alert } from '../types.js';
import { alertJsonLine, type AlertSink } from './types.js';

export class StdoutSink implements AlertSink {
  readonly description = 'stdout';

  constructor(
    readonly name: string = 'stdout',
    private readonly output: Writable = process.stdout,
  ) {}

  /** Resolves once the line has been handed to the operating system. */
  deliver(alert: Alert): Promise<void> {
    return new Promise((resolve, reject) => {
      this.output.write(alertJsonLine(alert), (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {}
}
