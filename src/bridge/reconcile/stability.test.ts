import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../test/support/fakes.js';
import type { OrthancRest, OrthancStudyLookup } from './orthanc-rest.js';
import { createOrthancIdHints } from './orthanc-id-hints.js';
import { createStabilityGate } from './stability.js';

function gate(lookup: OrthancStudyLookup | Error, isStable?: boolean) {
  const observed: Array<[string, number]> = [];
  const orthanc: OrthancRest = {
    lookupStudy: async () => {
      if (lookup instanceof Error) throw lookup;
      return lookup;
    },
    isStable: async () => isStable,
  };
  const check = createStabilityGate({
    orthanc,
    quietPeriod: {
      observe: (uid, count) => {
        observed.push([uid, count]);
        return count >= 10 ? { stable: true, remainingMs: 0 } : { stable: false, remainingMs: 4500 };
      },
    },
    logger: memoryLogger(),
  });
  return { check, observed };
}

const FOUND: OrthancStudyLookup = { kind: 'found', orthancId: 'aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa' };

describe('stability gate', () => {
  it('follows Orthanc’s IsStable for a study Orthanc has, without the quiet period', async () => {
    const stable = gate(FOUND, true);
    expect(await stable.check('1.2', 3)).toEqual({ stable: true });
    const arriving = gate(FOUND, false);
    expect(await arriving.check('1.2', 3)).toEqual({ stable: false, reason: 'Orthanc does not call the study stable yet' });
    expect([...stable.observed, ...arriving.observed]).toEqual([]);
  });

  it('calls a study Orthanc dropped meanwhile not stable', async () => {
    expect(await gate(FOUND, undefined).check('1.2', 3)).toEqual({ stable: false, reason: 'Orthanc no longer has the study' });
  });

  it('uses the quiet period of the fetched instance count when no Orthanc REST API answers', async () => {
    const { check, observed } = gate({ kind: 'no-orthanc', reason: 'refused' });
    expect(await check('1.2', 3)).toEqual({ stable: false, reason: 'instance count 3 has not held still for the quiet period yet (5 s left)' });
    expect(await check('1.2', 10)).toEqual({ stable: true });
    expect(observed).toEqual([
      ['1.2', 3],
      ['1.2', 10],
    ]);
  });

  it('uses the quiet period for a study served over DICOMweb that Orthanc’s REST API does not have', async () => {
    const { check, observed } = gate({ kind: 'absent' });
    expect((await check('1.2', 3)).stable).toBe(false);
    expect(observed).toEqual([['1.2', 3]]);
  });

  it('passes on a failure of Orthanc (a sync failure, retried), never calling the study stable', async () => {
    await expect(gate(new Error('Orthanc POST /tools/lookup answered HTTP 500')).check('1.2', 3)).rejects.toThrow(/500/);
  });

  describe('with the change feed’s Orthanc id hints', () => {
    function hinted(isStable: Array<boolean | undefined>, lookup: OrthancStudyLookup = FOUND) {
      const asked: string[] = [];
      const hints = createOrthancIdHints();
      const orthanc: OrthancRest = {
        lookupStudy: async (uid) => {
          asked.push(`lookup ${uid}`);
          return lookup;
        },
        isStable: async (id) => {
          asked.push(`isStable ${id}`);
          return isStable.shift();
        },
      };
      const check = createStabilityGate({
        orthanc,
        quietPeriod: { observe: () => ({ stable: false, remainingMs: 1000 }) },
        logger: memoryLogger(),
        hints,
      });
      return { check, asked, hints };
    }
    const HINT = 'bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb';

    it('asks IsStable of the hinted id without a lookup, after the fetch as always', async () => {
      const { check, asked, hints } = hinted([true, false]);
      hints.remember('1.2', { orthancId: HINT });
      expect(await check('1.2', 3)).toEqual({ stable: true });
      // An instance that arrived during the fetch: Orthanc no longer calls the study stable.
      expect(await check('1.2', 4)).toEqual({ stable: false, reason: 'Orthanc does not call the study stable yet' });
      expect(asked).toEqual([`isStable ${HINT}`, `isStable ${HINT}`]);
    });

    it('looks the study up when the hinted id no longer names a study, and drops the hint', async () => {
      const { check, asked, hints } = hinted([undefined, true]);
      hints.remember('1.2', { orthancId: HINT });
      expect(await check('1.2', 3)).toEqual({ stable: true });
      expect(asked).toEqual([`isStable ${HINT}`, 'lookup 1.2', `isStable ${FOUND.kind === 'found' ? FOUND.orthancId : ''}`]);
      expect(hints.get('1.2')).toBeUndefined();
    });

    it('looks up a study without a hint as before', async () => {
      const { check, asked } = hinted([true]);
      expect(await check('1.3', 3)).toEqual({ stable: true });
      expect(asked[0]).toBe('lookup 1.3');
    });
  });
});
