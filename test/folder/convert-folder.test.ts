/** The folder source's library API on a generated rich study and on pydicom's test files. */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagingStudy } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFolder, FolderError, processDicom2Fhir } from '../../src/index.js';
import { generateRichStudy, type RichStudyManifest } from '../support/generate/rich-study.js';

const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const TINY_ALPHA = join(PYDICOM_FILES, 'dicomdirtests', 'TINY_ALPHA');

let work: string;
let rich: RichStudyManifest;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'd2f-folder-'));
  rich = await generateRichStudy(join(work, 'rich'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('convertFolder on a generated study with every encoding and junk files', () => {
  it('puts every DICOM file in the study and every junk file in skipped, with the reader’s reason', async () => {
    const result = await convertFolder(rich.dir);
    expect(result.studies).toEqual([{ studyInstanceUid: rich.studyInstanceUid, files: rich.dicomFiles.map((f) => join(rich.dir, f.path)).sort() }]);
    expect(result.skipped.map((s) => [s.path, s.reason])).toEqual(rich.junk.map((j) => [join(rich.dir, j.path), j.reason]).sort());
    for (const s of result.skipped) expect(s.detail.length).toBeGreaterThan(0);
    expect(result.filesRead).toBe(rich.dicomFiles.length + rich.junk.length);
  });

  it('converts the study with the file endpoint and reports the duplicate instance', async () => {
    const { outputs } = await convertFolder(rich.dir);
    expect(outputs).toHaveLength(1);
    const [conversion] = outputs;
    expect(conversion?.studyInstanceUid).toBe(rich.studyInstanceUid);
    expect(conversion?.numberOfSeries).toBe(rich.expected.numberOfSeries);
    expect(conversion?.numberOfInstances).toBe(rich.expected.numberOfInstances);
    const study = conversion?.resource as ImagingStudy;
    expect(study.resourceType).toBe('ImagingStudy');
    expect(study.endpoint).toBeUndefined();
    const duplicates = conversion?.issues.filter((i) => i.code === 'duplicate-instance') ?? [];
    expect(duplicates.length).toBe(rich.duplicateSopInstanceUids.length);
  });

  it('gives the same result with one read in flight as with sixty-four', async () => {
    const one = await convertFolder(rich.dir, { concurrency: 1 });
    const many = await convertFolder(rich.dir, { concurrency: 64 });
    expect(JSON.stringify(many)).toBe(JSON.stringify(one));
  });

  it('gives the same result, skipped files and their reasons included, on worker threads as in the calling thread', async () => {
    const inThread = await convertFolder(rich.dir, { threads: 0 });
    expect(inThread.skipped.length).toBeGreaterThan(0);
    for (const threads of [1, 2, 3]) {
      const onWorkers = await convertFolder(rich.dir, { threads });
      expect(JSON.stringify(onWorkers), `${threads} threads`).toBe(JSON.stringify(inThread));
    }
  });

  it('refuses a thread count that is not a non-negative integer', async () => {
    for (const threads of [-1, 1.5, Number.NaN]) {
      await expect(convertFolder(rich.dir, { threads }), String(threads)).rejects.toThrow(RangeError);
    }
  });

  it('reports progress up to every candidate file, after each file in the calling thread', async () => {
    const calls: Array<[number, number]> = [];
    const result = await convertFolder(rich.dir, { threads: 0, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls[0]).toEqual([0, result.filesRead]);
    expect(calls.at(-1)).toEqual([result.filesRead, result.filesRead]);
    expect(calls.length).toBe(result.filesRead + 1);
  });

  it('gives the same result when the calling thread reads beside worker threads, on a folder larger than their first batches', async () => {
    // 50 copies of the study (700 files): beyond the 2 × 128 files each worker is sent first,
    // so the calling thread reads part of the folder itself, junk files included.
    const many = join(work, 'many');
    for (let copy = 0; copy < 50; copy++) await cp(rich.dir, join(many, `copy-${String(copy).padStart(2, '0')}`), { recursive: true });
    const inThread = await convertFolder(many, { threads: 0 });
    expect(inThread.filesRead).toBe(50 * (rich.dicomFiles.length + rich.junk.length));
    for (const threads of [1, 2]) {
      const beside = await convertFolder(many, { threads });
      expect(JSON.stringify(beside), `${threads} threads`).toBe(JSON.stringify(inThread));
    }
  });

  it('reports progress on worker threads from nothing to every candidate file, never going back', async () => {
    const calls: Array<[number, number]> = [];
    const result = await convertFolder(rich.dir, { threads: 2, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls[0]).toEqual([0, result.filesRead]);
    expect(calls.at(-1)).toEqual([result.filesRead, result.filesRead]);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThan(calls[i - 1]![0]);
  });

  it('passes converter options through (R5, Bundle form)', async () => {
    const { outputs } = await convertFolder(rich.dir, { fhirVersion: 'R5', format: 'bundle' });
    const bundle = outputs[0]?.resource;
    expect(bundle?.resourceType).toBe('Bundle');
  });
});

describe('convertFolder on entries that are not regular files', () => {
  it('skips a dangling symlink and a named pipe as unreadable instead of hanging or dropping them', async () => {
    const dir = join(work, 'odd-entries');
    await mkdir(dir);
    await cp(join(PYDICOM_FILES, 'CT_small.dcm'), join(dir, 'ct.dcm'));
    await symlink(join(dir, 'gone.dcm'), join(dir, 'dangling.dcm'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const result = await convertFolder(dir);
    expect(result.skipped).toEqual([
      { path: join(dir, 'dangling.dcm'), reason: 'unreadable', detail: 'ENOENT' },
      { path: join(dir, 'pipe'), reason: 'unreadable', detail: 'not a regular file' },
    ]);
    expect(result.studies[0]?.files).toEqual([join(dir, 'ct.dcm')]);
    expect(result.filesRead).toBe(1);
  });
});

describe('convertFolder on DICOMDIR trees', () => {
  it('skips a DICOMDIR with reason dicomdir and a README as not DICOM', async () => {
    const result = await convertFolder(TINY_ALPHA);
    expect(result.skipped.map((s) => [s.path, s.reason])).toEqual([
      [join(TINY_ALPHA, 'DICOMDIR'), 'dicomdir'],
      [join(TINY_ALPHA, 'README'), 'not-dicom'],
    ]);
    expect(result.studies[0]?.files).toHaveLength(50);
    expect(result.outputs[0]?.numberOfInstances).toBe(50);
  });

  it('returns one conversion per study, ordered by Study Instance UID, with split', async () => {
    const result = await convertFolder(join(PYDICOM_FILES, 'dicomdirtests', '98892003'), { split: true });
    const uids = result.studies.map((s) => s.studyInstanceUid);
    expect(uids).toEqual([...uids].sort());
    expect(result.outputs.map((o) => o.studyInstanceUid)).toEqual(uids);
    expect(result.studies.map((s) => s.files.length)).toEqual([11, 4, 2]);
  });
});

describe('convertFolder errors', () => {
  it('throws multiple-studies naming every study and its file count, with the studies attached', async () => {
    const dir = join(PYDICOM_FILES, 'dicomdirtests', '98892001');
    const mixed = join(work, 'mixed');
    await cp(dir, join(mixed, 'a'), { recursive: true });
    await cp(join(PYDICOM_FILES, 'CT_small.dcm'), join(mixed, 'b.dcm'));
    const error = await convertFolder(mixed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FolderError);
    expect((error as FolderError).code).toBe('multiple-studies');
    expect((error as FolderError).message).toMatch(/^2 studies found: \S+ \(7 files\), \S+ \(1 file\)/);
    expect((error as FolderError).studies?.map((s) => s.files.length)).toEqual([7, 1]);
  });

  it('throws directory-missing for a missing path and for a file', async () => {
    await expect(convertFolder(join(work, 'missing'))).rejects.toMatchObject({ code: 'directory-missing' });
    await expect(convertFolder(join(PYDICOM_FILES, 'CT_small.dcm'))).rejects.toMatchObject({ code: 'directory-missing', message: /not a directory/ });
  });

  it('throws no-dicom when no file yields a study', async () => {
    const junk = join(work, 'only-junk');
    await mkdir(junk);
    await writeFile(join(junk, 'a.txt'), 'hello');
    await expect(convertFolder(junk)).rejects.toMatchObject({ code: 'no-dicom', message: /1 files read, skipped: not DICOM: 1/ });
  });
});

describe('processDicom2Fhir', () => {
  it('returns an R4 ImagingStudy with the contained Patient, like the Python library', async () => {
    const study = await processDicom2Fhir(rich.dir);
    expect(study.resourceType).toBe('ImagingStudy');
    expect(study.id).toBe(rich.studyInstanceUid);
    expect(study.subject).toEqual({ reference: '#patient.contained.inline' });
    expect(study.contained?.some((r) => r.resourceType === 'Patient')).toBe(true);
    expect(study.numberOfInstances).toBe(rich.expected.numberOfInstances);
  });
});
