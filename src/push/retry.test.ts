import { describe, expect, it } from 'vitest';
import { isRetryableStatus, parseRetryAfter, retryDelay } from './retry.js';

const now = new Date('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds as milliseconds', () => expect(parseRetryAfter('7', now)).toBe(7000));
  it('reads an HTTP-date as the time left until it', () => expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000));
  it('treats an HTTP-date in the past as no wait', () => expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0));
  it('ignores a missing header', () => expect(parseRetryAfter(null, now)).toBeUndefined());
  it('ignores a malformed header', () => expect(parseRetryAfter('soon', now)).toBeUndefined());
  it('ignores a negative number', () => expect(parseRetryAfter('-5', now)).toBeUndefined());
});

describe('isRetryableStatus', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries %i', (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([400, 401, 403, 404, 409, 412, 422, 501])('does not retry %i', (status) => expect(isRetryableStatus(status)).toBe(false));
});

describe('retryDelay', () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  it('waits between half and all of the nominal delay', () => {
    expect(retryDelay(1, policy, () => 0)).toBe(50);
    expect(retryDelay(1, policy, () => 1)).toBe(100);
  });
  it('doubles the nominal delay with each failure', () => expect(retryDelay(3, policy, () => 1)).toBe(400));
  it('never exceeds the maximum', () => expect(retryDelay(10, policy, () => 1)).toBe(1000));
  it('follows the server Retry-After over its own schedule', () => expect(retryDelay(1, policy, () => 0, 700)).toBe(700));
  it('caps the server Retry-After at the maximum', () => expect(retryDelay(1, policy, () => 0, 60_000)).toBe(1000));
});
