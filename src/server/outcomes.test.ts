import { describe, expect, it } from 'vitest';
import {
  accepted, allOk, badRequest, getStatus, gone, normalizeOperationOutcome, notFound, notModified,
  OperationOutcomeError, serverError, serviceUnavailable, unauthorized,
} from './outcomes.js';

describe('outcomes', () => {
  it('maps every ready-made outcome to its HTTP status', () => {
    expect([allOk, accepted, notModified, badRequest('x'), unauthorized, notFound, gone, serverError, serviceUnavailable()].map(getStatus)).toEqual([
      200, 202, 304, 400, 401, 404, 410, 500, 503,
    ]);
  });

  it('treats an outcome it did not build as a server error', () => {
    expect(getStatus({ resourceType: 'OperationOutcome', issue: [] })).toBe(500);
  });

  it('puts the details and the offending expression in a bad request', () => {
    expect(badRequest('Parameter _count must be a non-negative integer', '_count').issue).toEqual([
      { severity: 'error', code: 'invalid', details: { text: 'Parameter _count must be a non-negative integer' }, expression: ['_count'] },
    ]);
  });

  it('keeps the outcome of an OperationOutcomeError and hides other errors behind a 500', () => {
    expect(normalizeOperationOutcome(new OperationOutcomeError(gone))).toBe(gone);
    const normalized = normalizeOperationOutcome(new Error('SQLITE_CORRUPT at /var/lib/secret.db'));
    expect(getStatus(normalized)).toBe(500);
    expect(JSON.stringify(normalized)).not.toContain('secret');
  });

  it('turns a body-parser client error into a 400, and a body above the limit into a 413', () => {
    const malformed = normalizeOperationOutcome(Object.assign(new Error('bad json'), { status: 400, type: 'entity.parse.failed' }));
    expect(getStatus(malformed)).toBe(400);
    expect(malformed.issue[0]?.details?.text).toContain('entity.parse.failed');
    const tooLarge = normalizeOperationOutcome(Object.assign(new Error('too large'), { status: 413, type: 'entity.too.large', limit: 16384 }));
    expect(getStatus(tooLarge)).toBe(413);
    expect(tooLarge.issue[0]).toMatchObject({ code: 'too-long', details: { text: 'Request body larger than 16384 bytes' } });
  });

  it('escapes control characters in the texts and expressions it builds', () => {
    const outcome = badRequest('Unknown search parameter a\u0001\u009b', 'a\u0001\u009b');
    expect(outcome.issue[0]?.details?.text).toBe('Unknown search parameter a\\x01\\x9b');
    expect(outcome.issue[0]?.expression).toEqual(['a\\x01\\x9b']);
  });
});
