/**
 * Alert sinks: where the watch loop delivers new alerts. A sink delivers one alert at a time and either
 * returns (acknowledged) or throws a DeliveryError saying whether trying again later can help.
 */
import type { Alert } from '../types.js';

export interface AlertSink {
  /** Unique among the configured sinks: the outbox and the delivery record are keyed by it. */
  readonly name: string;
  /** How to show the sink in logs: secrets (header values, credentials in URLs) masked. */
  readonly description: string;
  deliver(alert: Alert): Promise<void>;
  close(): Promise<void>;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    /** True when retrying cannot help (an HTTP 4xx such as 400 or 401): the alert is parked, not retried. */
    readonly permanent: boolean,
    /** A delay the receiver asked for (HTTP Retry-After), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Any failure as a DeliveryError: errors that are not ours (disk full, socket reset) are worth retrying. */
export function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError(error instanceof Error ? error.message : String(error), false);
}

/** One alert as one line of JSON (the form every sink sends). */
export function alertJsonLine(alert: Alert): string {
  return `${JSON.stringify(alert)}\n`;
}
