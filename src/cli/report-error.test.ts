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

  it('escapes control characters in every message, so a quoted value cannot drive the terminal', () => {
    const out = sink();
    expect(reportError('convert', new FolderError('no-dicom', 'no DICOM instance found in /data/\u001b[2Jx\u009b'), out)).toBe(2);
    expect(reportError('convert', new UsageError('bad value \u0007', 'hint \u0001'), out)).toBe(2);
    expect(reportError('convert', new Error('server said \r\u001b[31mOK'), out, {})).toBe(1);
    expect(out.lines.join('')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out.lines[0]).toBe('dicom2fhir convert: no DICOM instance found in /data/\\x1b[2Jx\\x9b\n');
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
