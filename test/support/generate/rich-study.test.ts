import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRichStudy, type RichStudyFile, type RichStudyManifest } from './rich-study.js';

const run = promisify(execFile);

const TRANSFER_SYNTAX: Partial<Record<RichStudyFile['encoding'], string>> = {
  'explicit-le': '1.2.840.10008.1.2.1',
  'explicit-be': '1.2.840.10008.1.2.2',
  'implicit-le-undefined-lengths': '1.2.840.10008.1.2',
  deflated: '1.2.840.10008.1.2.1.99',
  duplicate: '1.2.840.10008.1.2.1',
};

/** dcmdump (an independent parser) reading one element; `-f` lets it read files without meta. */
async function dcmdumpValue(path: string, tag: string, extra: string[] = []): Promise<string | undefined> {
  const { stdout } = await run('dcmdump', ['-q', '-Un', '+P', tag, ...extra, path]);
  return /\[([^\]]*)\]/.exec(stdout)?.[1] ?? /=(\S+)/.exec(stdout)?.[1];
}

describe('generateRichStudy', () => {
  let dir: string;
  let manifest: RichStudyManifest;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dicom2fhir-rich-'));
    manifest = await generateRichStudy(join(dir, 'study'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each DICOM file with the SOP Instance UID and Study Instance UID the manifest names', async () => {
    for (const file of manifest.dicomFiles) {
      const path = join(manifest.dir, file.path);
      const options = file.encoding === 'no-file-meta' ? ['-f', '-t='] : [];
      expect(await dcmdumpValue(path, '0008,0018', options), file.path).toBe(file.sopInstanceUid);
      expect(await dcmdumpValue(path, '0020,000d', options), file.path).toBe(manifest.studyInstanceUid);
    }
  });

  it('encodes each file in the transfer syntax the manifest names', async () => {
    for (const file of manifest.dicomFiles) {
      const expected = TRANSFER_SYNTAX[file.encoding];
      if (expected === undefined) continue;
      const { stdout } = await run('dcmdump', ['-q', '-M', '-Un', '+P', '0002,0010', join(manifest.dir, file.path)]);
      expect(stdout, file.path).toContain(`[${expected}]`);
    }
  });

  it('writes Latin-1 text under Specific Character Set ISO_IR 100', async () => {
    const { stdout } = await run('dcmdump', ['-q', '+U8', '+P', '0010,0010', join(manifest.dir, 'ct/ct-1.dcm')]);
    expect(stdout).toContain('[Müller^Jürgen^Hans^Dr.^MD]');
  });

  it('writes a truncated file that dcmtk cannot read to the end', async () => {
    await expect(run('dcmdump', ['-q', join(manifest.dir, 'junk/truncated.dcm')])).rejects.toThrow();
  });

  it('counts each SOP instance once in the expected totals', () => {
    const unique = new Set(manifest.dicomFiles.map((f) => f.sopInstanceUid));
    expect(manifest.expected.numberOfInstances).toBe(unique.size);
    expect(manifest.dicomFiles.length).toBe(unique.size + manifest.duplicateSopInstanceUids.length);
  });
});
