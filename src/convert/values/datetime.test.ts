import { describe, expect, it } from 'vitest';
import { toFhirDateTime } from './datetime.js';
import { createOffsetResolver } from './offset.js';

const berlin = createOffsetResolver('Europe/Berlin');

describe('toFhirDateTime', () => {
  it.each([
    ['20240102', '101112', '+01:00', undefined, '2024-01-02T10:11:12+01:00'],
    ['20240102', '101112.123', '-05:00', undefined, '2024-01-02T10:11:12.123-05:00'],
    ['20240102', '10', '+00:00', undefined, '2024-01-02T10:00:00+00:00'],
    ['20240102', '101112', undefined, undefined, '2024-01-02'],
    ['20240702', '101112', undefined, berlin, '2024-07-02T10:11:12+02:00'],
    ['20240102', '101112', '+05:30', berlin, '2024-01-02T10:11:12+05:30'],
    ['20240102', undefined, '+01:00', undefined, '2024-01-02'],
    ['20240102', 'garbage', '+01:00', undefined, '2024-01-02'],
    ['2024010', '101112', '+01:00', undefined, undefined],
    [undefined, '101112', '+01:00', undefined, undefined],
    ['19000101', '0800', undefined, createOffsetResolver('Asia/Kolkata'), '1900-01-01'],
  ])('combines DA %j, TM %j, offset %j (zone given: %j) into %j', (da, tm, offset, zone, expected) => {
    expect(toFhirDateTime(da, tm, offset, zone)).toBe(expected);
  });

  it('never appends Z to a local time', () => {
    expect(toFhirDateTime('20240102', '101112', undefined)).not.toMatch(/Z$/);
  });
});
