import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../test/support/fakes.js';
import type { OrthancRest, OrthancStudyLookup } from './orthanc-rest.js';
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
});
