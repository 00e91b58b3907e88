import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCopies, type CopiesManifest } from './copies.js';
import { fixedLengthUid } from './uids.js';

const run = promisify(execFile);
const TEMPLATE = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

/** dcmdump's view of a few elements: an independent parser checks our byte patching. */
async function dump(path: string): Promise<Record<string, string>> {
  const tags = ['0002,0003', '0008,0018', '0020,000d', '0020,000e', '0020,0011', '0020,0013'];
  const { stdout } = await run('dcmdump', ['-q', ...tags.flatMap((t) => ['+P', t]), path]);
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = /^\((\w{4},\w{4})\) \w\w \[([^\]]*)\]/.exec(line);
    if (match) out[match[1] as string] = match[2] as string;
  }
  return out;
}

describe('fixedLengthUid', () => {
  it('gives a UID of exactly the requested length', () => expect(fixedLengthUid('s', [1, 2], [4, 4], 44)).toHaveLength(44));
  it('gives the same UID for the same seed and counters', () =>
    expect(fixedLengthUid('s', [7], [4], 40)).toBe(fixedLengthUid('s', [7], [4], 40)));
  it('gives different UIDs for different counters', () =>
    expect(fixedLengthUid('s', [1, 2], [4, 4], 40)).not.toBe(fixedLengthUid('s', [2, 1], [4, 4], 40)));
  it('gives different UIDs for different seeds', () =>
    expect(fixedLengthUid('a', [1], [4], 40)).not.toBe(fixedLengthUid('b', [1], [4], 40)));
  it('has no component with a leading zero', () =>
    expect(fixedLengthUid('s', [0, 0], [4, 4], 48).split('.').every((c) => c === '0' || !c.startsWith('0'))).toBe(true));
  it('refuses a counter wider than its width', () => expect(() => fixedLengthUid('s', [12345], [4], 40)).toThrow(RangeError));
  it('refuses a length too short for the counters', () => expect(() => fixedLengthUid('s', [1], [4], 20)).toThrow(RangeError));
});

describe('generateCopies', () => {
  let dir: string;
  let manifest: CopiesManifest;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dicom2fhir-copies-'));
    manifest = await generateCopies(TEMPLATE, dir, { studies: 2, seriesPerStudy: 2, instancesPerSeries: 12 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes studies × series × instances files with distinct UIDs', async () => {
    expect(manifest.files).toBe(48);
    const sops = manifest.studies.flatMap((s) => s.series.flatMap((se) => se.sopInstanceUids));
    expect(new Set(sops).size).toBe(48);
    expect(new Set(manifest.studies.map((s) => s.studyInstanceUid)).size).toBe(2);
    const first = manifest.studies[0]?.directory as string;
    const files = await readdir(first, { recursive: true });
    expect(files.filter((f) => f.endsWith('.dcm'))).toHaveLength(24);
  });

  it('patches UIDs, Series Number and Instance Number so that dcmtk reads the new values', async () => {
    const study = manifest.studies[1];
    const series = study?.series[1];
    const path = join(study?.directory as string, 'series-0002', '000012.dcm');
    const values = await dump(path);
    expect(values['0002,0003']).toBe(series?.sopInstanceUids[11]);
    expect(values['0008,0018']).toBe(series?.sopInstanceUids[11]);
    expect(values['0020,000d']).toBe(study?.studyInstanceUid);
    expect(values['0020,000e']).toBe(series?.seriesInstanceUid);
    expect(values['0020,0011']).toBe('2');
    expect(values['0020,0013']).toBe('12');
    const template = await stat(TEMPLATE);
    expect((await stat(path)).size).toBe(template.size);
  });

  it('reuses the files of an earlier run with the same template and layout', async () => {
    const again = await generateCopies(TEMPLATE, dir, { studies: 2, seriesPerStudy: 2, instancesPerSeries: 12 });
    expect(again.reused).toBe(true);
    expect(again.studies).toEqual(manifest.studies);
  });
});
