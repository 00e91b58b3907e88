/**
 * Bearer-token checks (RFC 6750 §2.1) for the read API and the Orthanc webhooks. Tokens are
 * compared in constant time over their SHA-256 digests, so neither the content nor the length
 * of the expected secret leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { OperationOutcomeError, unauthorized } from './outcomes.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** `tokensEqual(given, expected)` with the expected digest computed once (a check per request on the read path). */
export function tokenMatcher(expected: string): (given: string) => boolean {
  const expectedDigest = digest(expected);
  return (given) => timingSafeEqual(digest(given), expectedDigest);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(authorization);
  return match?.[1];
}

/** Whether the header carries exactly `Bearer <expected>`. */
export function hasBearer(authorization: string | undefined, expected: string): boolean {
  const given = bearerToken(authorization);
  return given !== undefined && tokensEqual(given, expected);
}

/** Throws a 401 OperationOutcome unless the header carries exactly `expected`. */
export function requireBearer(authorization: string | undefined, expected: string): void {
  if (!hasBearer(authorization, expected)) throw new OperationOutcomeError(unauthorized);
}
