import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../dicom/dataset.js';
import { createConfirmAbsent } from './confirm-absent.js';
import type { OrthancStudyLookup } from './orthanc-rest.js';

function confirm(lookup: OrthancStudyLookup | Error, metadata: Dataset[] | undefined | Error) {
  const fetched: string[] = [];
  const check = createConfirmAbsent({
    orthanc: {
      lookupStudy: async () => {
        if (lookup instanceof Error) throw lookup;
        return lookup;
      },
    },
    fetchStudy: async (uid) => {
      fetched.push(uid);
      if (metadata instanceof Error) throw metadata;
      return metadata;
    },
  });
  return { check, fetched };
}

describe('confirming a study absent on its own', () => {
  it('trusts Orthanc’s lookup when Orthanc answers, without fetching metadata', async () => {
    const absent = confirm({ kind: 'absent' }, []);
    const present = confirm({ kind: 'found', orthancId: 'aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa' }, undefined);
    expect([await absent.check('1.2'), await present.check('1.2')]).toEqual([true, false]);
    expect([...absent.fetched, ...present.fetched]).toEqual([]);
  });

  it('asks DICOMweb for the study itself when no Orthanc REST API answers', async () => {
    expect(await confirm({ kind: 'no-orthanc', reason: 'refused' }, undefined).check('1.2')).toBe(true);
    expect(await confirm({ kind: 'no-orthanc', reason: 'refused' }, [{}]).check('1.2')).toBe(false);
  });

  it('throws rather than confirm when the source cannot say', async () => {
    await expect(confirm(new Error('HTTP 401'), undefined).check('1.2')).rejects.toThrow(/401/);
    await expect(confirm({ kind: 'no-orthanc', reason: 'refused' }, new Error('WADO-RS failed')).check('1.2')).rejects.toThrow(/WADO-RS/);
  });
});
