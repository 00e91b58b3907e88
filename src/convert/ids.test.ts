import { describe, expect, it } from 'vitest';
import type { ConversionIssue } from './options.js';
import { studyResourceId } from './ids.js';
import { NAMESPACE_OID, uuidV5 } from './values/uuid.js';

describe('studyResourceId', () => {
  it.each([
    ['1.2.840.113619.2.55.3', {}, '1.2.840.113619.2.55.3', 0],
    ['1.2.840.113619.2.55.3', { idStrategy: 'uid' as const }, '1.2.840.113619.2.55.3', 0],
    ['1.2.840.113619.2.55.3', { idStrategy: 'uuid' as const }, uuidV5('1.2.840.113619.2.55.3', NAMESPACE_OID), 0],
    [`1.${'2'.repeat(64)}`, {}, uuidV5(`1.${'2'.repeat(64)}`, NAMESPACE_OID), 1],
    ['1.2_3', {}, uuidV5('1.2_3', NAMESPACE_OID), 1],
  ])('gives UID %j with options %j the id %j (%i issue)', (uid, options, expected, issueCount) => {
    const issues: ConversionIssue[] = [];
    expect(studyResourceId(uid, options, issues)).toBe(expected);
    expect(issues).toHaveLength(issueCount);
  });
});
