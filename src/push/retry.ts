/** Pure retry policy of the push path: which failures to retry and how long to wait before the next try. */

export interface BackoffPolicy {
  /** Delay before the first retry, in milliseconds. */
  baseMs: number;
  /** Upper bound of any single delay (also caps a server's `Retry-After`). */
  maxMs: number;
}

/**
 * Statuses worth retrying: 408 Request Timeout, 429 Too Many Requests and the 5xx family except
 * 501 Not Implemented (RFC 9110 §15.6), which will not change on its own.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Returns the wait
 * in milliseconds (never negative), or undefined when the header is absent or malformed.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    return Number(trimmed) * 1000;
  }
  const date = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(date)) {
    return undefined;
  }
  return Math.max(0, date - now.getTime());
}

/**
 * Exponential backoff with "equal jitter" (delay drawn uniformly from [c/2, c] with
 * c = base·2^(attempt-1)), so clients recovering from the same outage do not retry in lock step
 * while every retry still waits at least half the nominal delay. A server's `Retry-After`
 * wins when given, capped by `maxMs`. `attempt` counts failures so far, starting at 1.
 */
export function retryDelay(attempt: number, policy: BackoffPolicy, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) {
    return Math.min(retryAfterMs, policy.maxMs);
  }
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
