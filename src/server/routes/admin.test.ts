import { describe, expect, it } from 'vitest';
import { getStatus, OperationOutcomeError } from '../outcomes.js';
import { confirmDeletions } from './admin.js';

describe('POST /admin/confirm-deletions', () => {
  it('applies the held deletions and says how many were deleted and kept', async () => {
    let calls = 0;
    const deletions = { confirmDeletions: async () => (calls++, { deleted: 3, kept: 1 }) };
    const [outcome, body] = await confirmDeletions({ deletions });
    expect([getStatus(outcome), body, calls]).toEqual([200, { deleted: 3, kept: 1 }, 1]);
  });

  it('answers 409 when no deletion waits for confirmation', async () => {
    const error = await confirmDeletions({ deletions: { confirmDeletions: async () => undefined } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error instanceof OperationOutcomeError ? getStatus(error.outcome) : error).toBe(409);
  });
});
