import { describe, expect, it } from 'vitest';
import type { Dataset } from '../dicom/dataset.js';
import { classify, isDicomdir, MEDIA_STORAGE_DIRECTORY_SOP_CLASS } from './classify.js';

const study: Dataset = {
  '0020000D': { vr: 'UI', Value: ['1.2.840.1'] },
  '0020000E': { vr: 'UI', Value: ['1.2.840.1.2'] },
  '00080018': { vr: 'UI', Value: ['1.2.840.1.2.3'] },
};

function reasonOf(dataset: Dataset): string | false {
  const result = classify('/d/x', { ok: true, dataset, transferSyntaxUid: '1.2.840.10008.1.2.1' });
  return result.kind === 'skipped' && result.skipped.reason;
}

describe('classify', () => {
  it('passes the reader skip reason and detail through', () => {
    expect(classify('/d/x', { ok: false, reason: 'truncated', detail: 'ends inside (0010,0010)' })).toEqual({
      kind: 'skipped',
      skipped: { path: '/d/x', reason: 'truncated', detail: 'ends inside (0010,0010)' },
    });
  });

  it('returns an instance with its Study Instance UID', () => {
    expect(classify('/d/x', { ok: true, dataset: study, transferSyntaxUid: '1.2.840.10008.1.2.1' })).toEqual({
      kind: 'instance',
      path: '/d/x',
      studyInstanceUid: '1.2.840.1',
      dataset: study,
    });
  });

  it('skips a dataset without Study Instance UID, or with an empty one', () => {
    for (const dataset of [{}, { ...study, '0020000D': { vr: 'UI', Value: [''] } }] as Dataset[]) {
      expect(reasonOf(dataset)).toBe('no-study-instance-uid');
    }
  });

  it('skips a dataset without Series or SOP Instance UID with a reason of its own', () => {
    const { '0020000E': _series, ...noSeries } = study;
    const { '00080018': _sop, ...noSop } = study;
    expect(reasonOf(noSeries)).toBe('no-series-instance-uid');
    expect(reasonOf(noSop)).toBe('no-sop-instance-uid');
  });

  it('skips a dataset whose Study, Series or SOP Instance UID is not UID syntax, without quoting the value', () => {
    for (const [key, value] of [['0020000D', '1.2.8\x0140.1'], ['0020000E', '1.2.840..1'], ['00080018', '1.2.840.1a'], ['0020000D', `1.${'2'.repeat(70)}`]] as const) {
      const result = classify('/d/x', { ok: true, dataset: { ...study, [key]: { vr: 'UI', Value: [value] } }, transferSyntaxUid: '1.2.840.10008.1.2.1' });
      expect(result.kind === 'skipped' && result.skipped.reason, key).toBe('invalid-uid');
      expect(result.kind === 'skipped' && result.skipped.detail).not.toContain(value);
    }
  });

  it('skips a DICOMDIR as DICOMDIR, not as a file without study', () => {
    const dicomdir: Dataset = { '00041220': { vr: 'SQ', Value: [] } };
    const result = classify('/d/DICOMDIR', { ok: true, dataset: dicomdir, transferSyntaxUid: '1.2.840.10008.1.2.1' });
    expect(result.kind === 'skipped' && result.skipped.reason).toBe('dicomdir');
  });
});

describe('isDicomdir', () => {
  it('recognises the Media Storage Directory SOP Class in the file meta', () => {
    expect(isDicomdir({ '00020002': { vr: 'UI', Value: [MEDIA_STORAGE_DIRECTORY_SOP_CLASS] } })).toBe(true);
  });
  it('does not mistake an image for a DICOMDIR', () => {
    expect(isDicomdir({ '00020002': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] }, ...study })).toBe(false);
  });
});
