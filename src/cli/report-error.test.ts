import { describe, expect, it } from 'vitest';
import { reportError } from './report-error.js';
import { UsageError } from './usage-error.js';
import { FolderError } from '../folder/errors.js';

function sink() {
  const lines: string[] = [];
  return { lines, write: (t: string) => lines.push(t) };
}

describe('reportError', () => {
  it('exits 2 for a usage error and prints its hint and where to find help', () => {
    const out = sink();
    expect(reportError('convert', new UsageError('--format must be imagingstudy or bundle', 'for example: --format bundle'), out)).toBe(2);
    expect(out.lines.join('')).toBe(
      "dicom2fhir convert: --format must be imagingstudy or bundle\n  hint: for example: --format bundle\n  run 'dicom2fhir convert --help' for the options\n",
    );
  });

  it('exits 2 for a folder error with its message only', () => {
    const out = sink();
    expect(reportError('convert', new FolderError('no-dicom', 'no DICOM instance found'), out)).toBe(2);
    expect(out.lines).toEqual(['dicom2fhir convert: no DICOM instance found\n']);
  });

  it('exits 1 for anything else, without a stack unless DEBUG is set', () => {
    const quiet = sink();
    expect(reportError('convert', new Error('disk on fire'), quiet, {})).toBe(1);
    expect(quiet.lines).toEqual(['dicom2fhir convert: unexpected error: disk on fire\n']);
    const debug = sink();
    expect(reportError('convert', new Error('disk on fire'), debug, { DEBUG: '1' })).toBe(1);
    expect(debug.lines[1]).toMatch(/^Error: disk on fire\n\s+at /);
  });
});
