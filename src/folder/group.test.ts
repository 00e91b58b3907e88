import { describe, expect, it } from 'vitest';
import type { Dataset } from '../dicom/dataset.js';
import { describeStudies, groupByStudy } from './group.js';

const ds = (sop: string): Dataset => ({ '00080018': { vr: 'UI', Value: [sop] } });

describe('groupByStudy', () => {
  it('groups instances by Study Instance UID, studies ordered by UID and files by path', () => {
    const groups = groupByStudy([
      { path: '/d/b2', studyInstanceUid: '1.2.9', dataset: ds('b2') },
      { path: '/d/a1', studyInstanceUid: '1.2.10', dataset: ds('a1') },
      { path: '/d/b1', studyInstanceUid: '1.2.9', dataset: ds('b1') },
    ]);
    expect(groups.map((g) => [g.studyInstanceUid, g.files])).toEqual([
      ['1.2.10', ['/d/a1']],
      ['1.2.9', ['/d/b1', '/d/b2']],
    ]);
    expect(groups[1]?.datasets).toEqual([ds('b1'), ds('b2')]);
  });
});

describe('describeStudies', () => {
  it('names every study with its file count', () => {
    const text = describeStudies([
      { studyInstanceUid: '1.2.3', files: ['a', 'b'], datasets: [] },
      { studyInstanceUid: '1.2.4', files: ['c'], datasets: [] },
    ]);
    expect(text).toBe('1.2.3 (2 files), 1.2.4 (1 file)');
  });
});
