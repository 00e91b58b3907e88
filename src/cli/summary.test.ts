import { describe, expect, it } from 'vitest';
import { formatIssues, formatSummary } from './summary.js';
import type { Conversion } from '../convert/options.js';
import type { SkippedFile } from '../folder/skip.js';

function conversion(uid: string, series: number, instances: number, issues: Conversion['issues'] = []): Conversion {
  return { resource: { resourceType: 'ImagingStudy', status: 'available', subject: {} }, studyInstanceUid: uid, numberOfSeries: series, numberOfInstances: instances, issues };
}

const skip = (reason: SkippedFile['reason']): SkippedFile => ({ path: '/d/x', reason, detail: 'd' });

describe('formatSummary', () => {
  it('states instances, series and skipped files per reason, most frequent reason first', () => {
    expect(formatSummary([conversion('1.2', 7, 1204)], [skip('truncated'), skip('not-dicom'), skip('not-dicom')], false)).toBe(
      '1204 instances in 7 series; skipped 3 files (not DICOM: 2, truncated: 1)',
    );
  });

  it('prefixes the study count with split and adds up every study', () => {
    expect(formatSummary([conversion('1.2', 2, 10), conversion('1.3', 1, 1)], [], true)).toBe('2 studies, 11 instances in 3 series; skipped 0 files');
  });

  it('uses the singular for one study, one instance and one file', () => {
    expect(formatSummary([conversion('1.2', 1, 1)], [skip('dicomdir')], true)).toBe('1 study, 1 instance in 1 series; skipped 1 file (DICOMDIR: 1)');
  });
});

describe('formatIssues', () => {
  it('gives one warning line per issue, tagged with the study UID', () => {
    const issues: Conversion['issues'] = [{ code: 'duplicate-instance', message: 'SOP Instance UID 1.2.3.4 occurs in 2 files; counted once' }];
    expect(formatIssues([conversion('1.2', 1, 1, issues), conversion('1.3', 1, 1)])).toEqual([
      'warning: study 1.2: duplicate-instance: SOP Instance UID 1.2.3.4 occurs in 2 files; counted once',
    ]);
  });
});
