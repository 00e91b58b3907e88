import { describe, expect, it } from 'vitest';
import { parseFhirDate, startedMatches, type DatePrefix } from './date-search.js';

function matches(started: string | undefined, prefix: DatePrefix, value: string): boolean {
  const parsed = parseFhirDate(value);
  if (parsed === undefined) throw new Error(`bad test value ${value}`);
  return startedMatches(started, prefix, parsed);
}

describe('FHIR date search on started', () => {
  it.each([
    ['2024-03-15T10:20:30+01:00', 'eq', '2024', true],
    ['2024-03-15T10:20:30+01:00', 'eq', '2024-03', true],
    ['2024-03-15T10:20:30+01:00', 'eq', '2024-03-15', true],
    ['2024-03-15T10:20:30+01:00', 'eq', '2024-03-16', false],
    ['2024-03-15T10:20:30+01:00', 'ne', '2024-03-16', true],
    ['2024-03-15T10:20:30+01:00', 'lt', '2024-03-16', true],
    ['2024-03-15T10:20:30+01:00', 'lt', '2024-03-15', false],
    ['2024-03-15T10:20:30+01:00', 'le', '2024-03-15', true],
    ['2024-03-15T10:20:30+01:00', 'gt', '2024-03-14', true],
    ['2024-03-15T10:20:30+01:00', 'gt', '2024-03', false],
    ['2024-03-15T10:20:30+01:00', 'ge', '2024-03', true],
    ['2024-03-15T10:20:30+01:00', 'eq', '2024-03-15T09:20:30Z', true],
    ['2024-03-15T10:20:30+01:00', 'eq', '2024-03-15T10:20:30Z', false],
    ['2024-03-15T10:20:30+01:00', 'gt', '2024-03-15T09:20Z', false],
    ['2024-03-15T10:20:30+01:00', 'ge', '2024-03-15T09:20Z', true],
    ['2024-03-15T10:20:30+01:00', 'lt', '2024-03-15T10:00:00+00:00', true],
    ['2024-03-15T10:20:30+01:00', 'eq', '2024-03-15T10:20:30', true],
    ['2024-03-15', 'eq', '2024-03-15T23:00:00Z', true],
    ['2024-03-15', 'gt', '2024-03-14T23:00:00Z', true],
    ['2024-03-15T00:30:00+02:00', 'eq', '2024-03-15', true],
    ['2024-03-15T10:20:30.250+01:00', 'gt', '2024-03-15T10:20:30.100+01:00', true],
  ] as const)('%s %s %s → %s', (started, prefix, value, expected) => {
    expect(matches(started, prefix, value)).toBe(expected);
  });

  it('matches nothing for a study without a start', () => {
    expect(matches(undefined, 'ne', '2024')).toBe(false);
  });

  it.each(['2024-13', '2024-02-30', '24-01-01', '2024-01-01T25:00Z', '2024-01-01T10', 'today'])(
    'rejects the malformed value %s',
    (value) => {
      expect(parseFhirDate(value)).toBeUndefined();
    },
  );
});
