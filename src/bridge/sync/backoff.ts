/** Retry delays for failed syncs: exponential backoff with jitter, so many studies failing together do not retry in lockstep. */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 5 * 60_000 };

/** After a store fault (full disk, lock): short, so the bridge resumes within seconds of the cause going away. */
export const STORE_FAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 5000 };

/**
 * Delay after the `attempt`-th failure (1-based): `baseMs · 2^(attempt-1)`, capped at `maxMs`,
 * then scaled by a random factor in [0.5, 1) ("equal jitter": never less than half the
 * exponential delay, so the backoff still grows).
 */
export function retryDelayMs(attempt: number, backoff: BackoffOptions, random: () => number = Math.random): number {
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}
