import { describe, expect, it } from 'vitest';
import { createOrthancIdHints } from './orthanc-id-hints.js';

describe('Orthanc study hints', () => {
  it('gives the last hint remembered for a study until it is forgotten', () => {
    const hints = createOrthancIdHints();
    expect(hints.get('1.2')).toBeUndefined();
    hints.remember('1.2', { orthancId: 'a' });
    hints.remember('1.2', { orthancId: 'b', seriesCount: 1 });
    expect(hints.get('1.2')).toEqual({ orthancId: 'b', seriesCount: 1 });
    hints.forget('1.2');
    expect(hints.get('1.2')).toBeUndefined();
  });

  it('keeps at most maxHints, dropping the oldest first (a hint remembered again is young again)', () => {
    const hints = createOrthancIdHints(2);
    hints.remember('1.1', { orthancId: 'a' });
    hints.remember('1.2', { orthancId: 'b' });
    hints.remember('1.1', { orthancId: 'a' });
    hints.remember('1.3', { orthancId: 'c' });
    expect([hints.get('1.1')?.orthancId, hints.get('1.2'), hints.get('1.3')?.orthancId]).toEqual(['a', undefined, 'c']);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => createOrthancIdHints(0)).toThrow(RangeError);
    expect(() => createOrthancIdHints(1.5)).toThrow(RangeError);
  });
});
