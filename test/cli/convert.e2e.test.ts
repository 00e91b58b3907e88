/**
 * `dicom2fhir convert` end to end: the built CLI as a child process on real DICOM files
 * (pydicom's test corpus) and on generated studies, checked against pydicom's own reading.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Bundle, ImagingStudy, Patient } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONVERT_OPTIONS } from '../../src/cli/commands/convert.js';
import { OUTPUT_OPTIONS } from '../../src/cli/output-options.js';
import { validateR4, validateR4Bundle } from '../support/fhir-validation.js';
import { generateRichStudy } from '../support/generate/rich-study.js';
import { assertBuilt, CLI, runCli } from './run-cli.js';

const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const SCAN = fileURLToPath(new URL('./pydicom-scan.py', import.meta.url));
const run = promisify(execFile);

interface PydicomScan {
  files: number;
  placed: number;
  studies: Record<string, Record<string, number>>;
}

async function pydicomScan(dir: string): Promise<PydicomScan> {
  const { stdout } = await run('/usr/bin/python3', ['-W', 'ignore', SCAN, dir], { maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(stdout) as PydicomScan;
}

/** {studyUid: {seriesUid: numberOfInstances}} as our ImagingStudies state it. */
function countsOf(studies: ImagingStudy[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const study of studies) {
    const uid = study.identifier?.find((i) => i.system === 'urn:dicom:uid')?.value?.replace(/^urn:oid:/, '') ?? '';
    out[uid] = Object.fromEntries((study.series ?? []).map((s) => [s.uid, s.numberOfInstances ?? -1]));
  }
  return out;
}

function studiesOf(stdout: string): ImagingStudy[] {
  const bundle = JSON.parse(stdout) as Bundle;
  expect(bundle.resourceType).toBe('Bundle');
  expect(bundle.type).toBe('collection');
  return (bundle.entry ?? []).map((e) => e.resource as ImagingStudy);
}

const SUMMARY = /^(?:(\d+) stud(?:y|ies), )?(\d+) instances? in (\d+) series; skipped (\d+) files?(?: \((.*)\))?$/;

function parseSummary(stderr: string) {
  const line = stderr.split('\n').find((l) => SUMMARY.test(l));
  const match = line === undefined ? null : SUMMARY.exec(line);
  if (match === null) throw new Error(`no summary line in stderr:\n${stderr}`);
  const reasons = Object.fromEntries((match[5] ?? '').split(', ').filter(Boolean).map((part) => {
    const at = part.lastIndexOf(': ');
    return [part.slice(0, at), Number(part.slice(at + 2))];
  }));
  return { studies: match[1] === undefined ? undefined : Number(match[1]), instances: Number(match[2]), series: Number(match[3]), skipped: Number(match[4]), reasons };
}

let work: string;

beforeAll(async () => {
  assertBuilt();
  work = await mkdtemp(join(tmpdir(), 'd2f-cli-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('dicom2fhir convert on pydicom’s test corpus', () => {
  it('converts every study with --split, accounts for every file and matches pydicom’s counts', async () => {
    const dir = join(work, 'corpus');
    await cp(PYDICOM_FILES, dir, { recursive: true });
    const [result, reference] = await Promise.all([runCli(['convert', dir, '--split']), pydicomScan(dir)]);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code).toBe(0);
    const studies = studiesOf(result.stdout);
    const summary = parseSummary(result.stderr);
    expect(summary.studies).toBe(studies.length);
    expect(summary.instances).toBe(studies.reduce((n, s) => n + (s.numberOfInstances ?? 0), 0));
    expect(summary.series).toBe(studies.reduce((n, s) => n + (s.numberOfSeries ?? 0), 0));
    expect(Object.values(summary.reasons).reduce((a, b) => a + b, 0)).toBe(summary.skipped);
    // pydicom places files that are cut short (MR_truncated, rtplan_truncated); SPEC §3 skips them.
    expect(summary.reasons.truncated).toBe(2);
    expect(summary.skipped - 2).toBe(reference.files - reference.placed);
    // 8 DICOMDIRs in the corpus; one (DICOMDIR-nooffset) may be refused earlier by the reader as malformed.
    expect(summary.reasons.DICOMDIR).toBeGreaterThanOrEqual(7);
    expect(studies.map((s) => s.resourceType)).toEqual(studies.map(() => 'ImagingStudy'));
    expect(new Set(studies.map((s) => s.id)).size).toBe(studies.length);
    expect(countsOf(studies)).toEqual(reference.studies);
    for (const study of studies) expect({ id: study.id, errors: validateR4(study) }).toEqual({ id: study.id, errors: [] });
  });
});

describe('dicom2fhir convert on pydicom’s DICOMDIR trees', () => {
  it.each(['77654033', '98892001', '98892003'])('gives the series and instance counts pydicom finds in %s', async (name) => {
    const dir = join(PYDICOM_FILES, 'dicomdirtests', name);
    const [result, reference] = await Promise.all([runCli(['convert', dir, '--split']), pydicomScan(dir)]);
    expect(result.code).toBe(0);
    const studies = studiesOf(result.stdout);
    expect(countsOf(studies)).toEqual(reference.studies);
    for (const study of studies) {
      expect(study.numberOfSeries).toBe(study.series?.length);
      expect(study.numberOfInstances).toBe((study.series ?? []).reduce((n, s) => n + (s.instance?.length ?? 0), 0));
      expect(study.endpoint).toBeUndefined();
    }
    const summary = parseSummary(result.stderr);
    expect(summary.studies).toBe(Object.keys(reference.studies).length);
    expect(summary.skipped).toBe(0);
  });

  it('skips the DICOMDIR of TINY_ALPHA as DICOMDIR and its README as not DICOM', async () => {
    const result = await runCli(['convert', join(PYDICOM_FILES, 'dicomdirtests', 'TINY_ALPHA')]);
    expect(result.code).toBe(0);
    const study = JSON.parse(result.stdout) as ImagingStudy;
    expect(study.resourceType).toBe('ImagingStudy');
    expect(study.numberOfInstances).toBe(50);
    expect(parseSummary(result.stderr)).toEqual({ studies: undefined, instances: 50, series: 1, skipped: 2, reasons: { DICOMDIR: 1, 'not DICOM': 1 } });
  });
});

describe('dicom2fhir convert on a generated study with every encoding and junk files', () => {
  it('prints the summary the manifest predicts and one warning per duplicated instance', async () => {
    const manifest = await generateRichStudy(join(work, 'rich'));
    const result = await runCli(['convert', manifest.dir]);
    expect(result.code).toBe(0);
    const study = JSON.parse(result.stdout) as ImagingStudy;
    expect(study.id).toBe(manifest.studyInstanceUid);
    const lines = result.stderr.trimEnd().split('\n');
    const notDicom = manifest.junk.filter((j) => j.reason === 'not-dicom').length;
    const truncated = manifest.junk.filter((j) => j.reason === 'truncated').length;
    expect(lines[0]).toBe(
      `${manifest.expected.numberOfInstances} instances in ${manifest.expected.numberOfSeries} series; ` +
        `skipped ${manifest.junk.length} files (not DICOM: ${notDicom}, truncated: ${truncated})`,
    );
    const duplicateLines = lines.filter((l) => l.includes('duplicate-instance'));
    expect(duplicateLines).toHaveLength(manifest.duplicateSopInstanceUids.length);
    expect(duplicateLines[0]).toMatch(new RegExp(`^warning: study ${manifest.studyInstanceUid.replaceAll('.', '\\.')}: duplicate-instance: `));
    expect(result.stderr).not.toContain(manifest.expected.patient.name.family);
    expect(result.stderr).not.toContain(manifest.expected.patient.identifier.value);
  });
});

describe('dicom2fhir convert input errors', () => {
  it('exits 2 and names the folder when it does not exist', async () => {
    const missing = join(work, 'no-such-folder');
    const result = await runCli(['convert', missing]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`directory not found: ${missing}`);
  });

  it('exits 2 on an empty folder and on a folder of junk only', async () => {
    const empty = join(work, 'empty');
    const junk = join(work, 'junk');
    await mkdir(empty);
    await mkdir(junk);
    await writeFile(join(junk, 'notes.txt'), 'not an image\n');
    await writeFile(join(junk, 'zeros.dcm'), Buffer.alloc(4096));
    const [a, b] = await Promise.all([runCli(['convert', empty]), runCli(['convert', junk])]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/no DICOM instance with valid Study, Series and SOP Instance UIDs found .*0 files read/);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/no DICOM instance .*2 files read, skipped: not DICOM: 2/);
    expect(a.stdout + b.stdout).toBe('');
  });

  it('exits 2 on two studies without --split and names both UIDs with their file counts', async () => {
    const dir = join(PYDICOM_FILES, 'dicomdirtests', '77654033');
    const result = await runCli(['convert', dir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('2 studies found: 1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.1 (3 files), 1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1 (4 files)');
  });

  it.each([
    [['--fhir-version', 'R3'], /--fhir-version must be R4 or R5, got 'R3'/],
    [['--format', 'xml'], /--format must be imagingstudy or bundle/],
    [['--timezone', 'Moon/Base'], /--timezone is not a known IANA time zone/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with a hint on bad option %j', async (args, message) => {
    const result = await runCli(['convert', join(PYDICOM_FILES, 'dicomdirtests', 'TINY_ALPHA'), ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("run 'dicom2fhir convert --help'");
    expect(result.stdout).toBe('');
  });

  it('exits 2 when the folder argument is missing or given twice', async () => {
    const [none, two] = await Promise.all([runCli(['convert']), runCli(['convert', work, work])]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing <dir>: the folder to convert\n  hint: dicom2fhir convert <dir> \[options\]/);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('expected one folder, got 2');
  });

  it('documents every option with its default in --help and exits 0', async () => {
    const result = await runCli(['convert', '--help']);
    expect(result.code).toBe(0);
    for (const name of Object.keys(CONVERT_OPTIONS)) expect(result.stdout).toContain(`--${name}`);
    expect(result.stdout).toMatch(/deduplicated by fullUrl/);
    expect(result.stdout.match(/\(default: /g)?.length).toBeGreaterThanOrEqual(Object.keys(OUTPUT_OPTIONS).length + 1);
  });
});

describe('dicom2fhir convert output', () => {
  it('gives byte-identical output for the same folder twice', async () => {
    const dir = join(PYDICOM_FILES, 'dicomdirtests');
    const first = await runCli(['convert', dir, '--split', '--format', 'bundle']);
    const second = await runCli(['convert', dir, '--split', '--format', 'bundle']);
    expect(first.code).toBe(0);
    expect(first.stdout.length).toBeGreaterThan(1000);
    expect(second.stdout).toBe(first.stdout);
  });

  it('writes 2-space JSON with a trailing newline to --out and nothing to stdout', async () => {
    const out = join(work, 'tiny.json');
    const result = await runCli(['convert', join(PYDICOM_FILES, 'dicomdirtests', 'TINY_ALPHA'), '--out', out, '--no-instances']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const text = await readFile(out, 'utf8');
    const study = JSON.parse(text) as ImagingStudy;
    expect(text).toBe(JSON.stringify(study, null, 2) + '\n');
    expect(study.numberOfInstances).toBe(50);
    expect(study.series?.[0]?.instance).toBeUndefined();
  });

  it('passes --timezone, --id, --fhir-version and --patient-id-system through to the converter', async () => {
    const dir = join(PYDICOM_FILES, 'dicomdirtests', 'TINY_ALPHA');
    const plain = await runCli(['convert', dir, '--no-instances']);
    const shaped = await runCli([
      'convert', dir, '--no-instances', '--timezone', 'Europe/Berlin', '--id', 'uuid', '--fhir-version', 'R5', '--patient-id-system', 'urn:oid:1.2.3',
    ]);
    expect([plain.code, shaped.code]).toEqual([0, 0]);
    const before = JSON.parse(plain.stdout) as ImagingStudy;
    const after = JSON.parse(shaped.stdout) as {
      id: string;
      started: string;
      modality: Array<{ coding: Array<{ code: string }> }>;
      contained: Array<{ resourceType: string; identifier?: Array<{ system?: string }> }>;
    };
    expect(before.started).toBe('2020-09-13');
    expect(after.started).toBe('2020-09-13T16:19:00+02:00');
    expect(before.id).toBe(before.identifier?.[0]?.value?.replace('urn:oid:', ''));
    expect(after.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(after.modality[0]?.coding[0]?.code).toBe('CT');
    expect(after.contained.find((r) => r.resourceType === 'Patient')?.identifier?.[0]?.system).toBe('urn:oid:1.2.3');
  });

  it('merges split studies into one transaction Bundle with unique fullUrls', async () => {
    const dir = join(PYDICOM_FILES, 'dicomdirtests', '98892003');
    const result = await runCli(['convert', dir, '--split', '--format', 'bundle', '--patient-id-system', 'urn:oid:1.2.3']);
    expect(result.code).toBe(0);
    const bundle = JSON.parse(result.stdout) as Bundle;
    expect(bundle.type).toBe('transaction');
    const urls = (bundle.entry ?? []).map((e) => e.fullUrl);
    expect(new Set(urls).size).toBe(urls.length);
    const studies = (bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'ImagingStudy');
    expect(studies.length).toBe(3);
    expect((bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Patient').length).toBe(1);
    expect(validateR4Bundle(bundle)).toEqual([]);
  });

  it('draws a progress bar up to every file read when stderr is a terminal, then clears it for the summary', async () => {
    const dir = join(PYDICOM_FILES, 'dicomdirtests', 'TINY_ALPHA');
    const out = join(work, 'tty.json');
    // util-linux `script` gives the command a pseudo-terminal, as an interactive shell would.
    const { stdout: screen } = await run('script', ['-qfec', [process.execPath, CLI, 'convert', dir, '--out', out].map((a) => `'${a}'`).join(' '), '/dev/null']);
    expect(screen).toMatch(/\rReading \[#{40}\] 52\/52 100%\r\x1b\[2K50 instances in 1 series; skipped 2 files \(DICOMDIR: 1, not DICOM: 1\)\r?\n$/);
    expect((JSON.parse(await readFile(out, 'utf8')) as ImagingStudy).numberOfInstances).toBe(50);
  });

  it('writes no progress bar and no PHI on stderr when stderr is not a terminal', async () => {
    const dir = join(PYDICOM_FILES, 'dicomdirtests', '98892001');
    const result = await runCli(['convert', dir, '--split']);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('\r');
    const study = studiesOf(result.stdout)[0];
    const patient = study?.contained?.find((r) => r.resourceType === 'Patient') as Patient | undefined;
    const family = patient?.name?.[0]?.family;
    const id = patient?.identifier?.[0]?.value;
    expect(family).toBe('Doe');
    expect(id).toBe('98890234');
    expect(result.stderr).not.toContain(family);
    expect(result.stderr).not.toContain(id);
  });
});
