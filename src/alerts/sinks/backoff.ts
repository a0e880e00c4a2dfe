/**
 * Exponential backoff with jitter. "Equal jitter": the delay for attempt n is half of base·2^(n−1) (capped) plus
 * a random part up to the other half, so retries from several watchers spread out but never come back sooner
 * than half the nominal delay.
 */
export interface BackoffPolicy {
  /** Delay before the first retry, in milliseconds. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
}

/** The delay before retry number `attempt` (1 = the first retry); `random` returns [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
