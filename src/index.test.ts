import { describe, expect, it } from 'vitest';
import * as api from './index.js';

describe('the public library API', () => {
  it('exports the folder converter, the converter, the reader, the dataset accessors and the tag table', () => {
    for (const name of ['convertFolder', 'processDicom2Fhir', 'convertStudy', 'readDicomHeader', 'getString', 'getStrings', 'getNumber', 'getPersonNames', 'getSequence'] as const) {
      expect(typeof api[name]).toBe('function');
    }
    expect(api.Tag.StudyInstanceUID).toBe('0020000D');
    expect(new api.FolderError('no-dicom', 'x')).toBeInstanceOf(Error);
    expect(api.FOLDER_SKIP_REASON_LABEL.dicomdir).toBe('DICOMDIR');
    expect(api.SKIP_REASON_LABEL['not-dicom']).toBe('not DICOM');
  });

  it('reads a Part 10 file and converts its dataset through the exported functions alone', async () => {
    const header = await api.readDicomHeader('/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm');
    if (!header.ok) throw new Error(header.detail);
    const uid = api.getString(header.dataset, api.Tag.StudyInstanceUID);
    expect(uid).toBe('1.3.6.1.4.1.5962.1.2.1.20040119072730.12322');
    const conversion = api.convertStudy([header.dataset]);
    expect(conversion.studyInstanceUid).toBe(uid);
    expect(conversion.numberOfInstances).toBe(1);
  });
});
