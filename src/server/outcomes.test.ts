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

  it('turns a body-parser client error into a 400', () => {
    const outcome = normalizeOperationOutcome(Object.assign(new Error('too large'), { status: 413, type: 'entity.too.large' }));
    expect(getStatus(outcome)).toBe(400);
    expect(outcome.issue[0]?.details?.text).toContain('entity.too.large');
  });
});
