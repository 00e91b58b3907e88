import { describe, expect, it } from 'vitest';
import { createOffsetResolver, fromDicomOffset } from './offset.js';

describe('fromDicomOffset', () => {
  it.each([
    ['+0100', '+01:00'],
    ['-0500', '-05:00'],
    ['+0000', '+00:00'],
    ['+0530', '+05:30'],
    ['+1400', '+14:00'],
    ['-1200', '-12:00'],
    ['+1401', undefined],
    ['-1300', undefined],
    ['+0160', undefined],
    ['0100', undefined],
    ['+01:00', undefined],
    [undefined, undefined],
  ])('turns Timezone Offset From UTC %j into %j', (value, expected) => {
    expect(fromDicomOffset(value)).toBe(expected);
  });
});

describe('createOffsetResolver', () => {
  it.each([
    ['Europe/Berlin', '2024-01-15', '12:00:00', '+01:00'],
    ['Europe/Berlin', '2024-07-15', '12:00:00', '+02:00'],
    ['Europe/Berlin', '2024-03-31', '01:59:59', '+01:00'],
    ['Europe/Berlin', '2024-03-31', '03:00:00', '+02:00'],
    ['Europe/Berlin', '2024-10-27', '04:00:00', '+01:00'],
    ['America/New_York', '2024-01-15', '23:30:00', '-05:00'],
    ['America/New_York', '2024-07-15', '00:30:00', '-04:00'],
    ['Asia/Kolkata', '2024-01-15', '08:00:00', '+05:30'],
    ['UTC', '2024-01-15', '08:00:00', '+00:00'],
    ['Z', '2024-01-15', '08:00:00', '+00:00'],
    ['+01:00', '2024-07-15', '08:00:00', '+01:00'],
    ['-0330', '2024-07-15', '08:00:00', '-03:30'],
    ['Asia/Kolkata', '1900-01-01', '08:00:00', undefined],
  ])('resolves zone %s at %s %s to %s', (zone, date, time, expected) => {
    expect(createOffsetResolver(zone)(date, time)).toBe(expected);
  });

  it.each([['Mars/Olympus'], ['+15:00'], ['nonsense']])('rejects the unusable zone %j', (zone) => {
    expect(() => createOffsetResolver(zone)).toThrow(RangeError);
  });
});
