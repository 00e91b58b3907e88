/**
 * End-to-end: the folder converter on the variant study — the SPEC §2 rows that need values the
 * rich study already uses differently (no UTC offset, UTF-8 name groups, OID issuer, fallbacks).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ImagingStudy as ImagingStudyR4, Patient as PatientR4 } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFolder } from '../../src/folder/index.js';
import { validateR4 } from '../support/fhir-validation.js';
import { generateVariantStudy, type VariantStudyManifest } from '../support/generate/variant-study.js';

const execFileAsync = promisify(execFile);
const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(REPO_ROOT, 'dist/cli/main.js');

/** Every validation message fails the test: a folder study has no endpoint (SPEC §2.1). */
function validate(resource: unknown): string[] {
  return validateR4(resource);
}

async function convertR4(options: { timezone?: string } = {}): Promise<ImagingStudyR4> {
  const result = await convertFolder(manifest.dir, options);
  expect(result.skipped).toEqual([]);
  return result.outputs[0]?.resource as ImagingStudyR4;
}

function patientOf(study: ImagingStudyR4): PatientR4 {
  const patient = study.contained?.find((r) => r.resourceType === 'Patient') as PatientR4 | undefined;
  expect(patient).toBeDefined();
  return patient as PatientR4;
}

let manifest: VariantStudyManifest;
let workDir: string;

beforeAll(async () => {
  if (!existsSync(CLI)) {
    await execFileAsync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT });
  }
  workDir = await mkdtemp(join(tmpdir(), 'dicom2fhir-variant-'));
  manifest = await generateVariantStudy(join(workDir, 'study'));
});

afterAll(async () => {
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

describe('folder converter on the variant study', () => {
  it('emits the date alone when neither the data set nor the options give a UTC offset', async () => {
    const study = await convertR4();
    expect(study.started).toBe(manifest.expected.studyDate);
    for (const series of study.series ?? []) expect(series.started).toBe(manifest.expected.studyDate);
  });

  it('uses the configured IANA time zone for the offset of that local date', async () => {
    const study = await convertR4({ timezone: 'Europe/Berlin' });
    expect(study.started).toBe(manifest.expected.startedAt('+01:00'));
  });

  it('takes the CLI --timezone option as a fixed offset', async () => {
    const { stdout } = await execFileAsync(process.execPath, [CLI, 'convert', manifest.dir, '--timezone', '+05:30']);
    const study = JSON.parse(stdout) as ImagingStudyR4;
    expect(study.started).toBe(manifest.expected.startedAt('+05:30'));
  });

  it('keeps ideographic and phonetic name groups as further names and turns an OID issuer into the identifier system', async () => {
    const patient = patientOf(await convertR4());
    const p = manifest.expected.patient;
    expect(patient.name?.[0]).toMatchObject(p.alphabetic);
    expect(patient.name).toEqual(
      expect.arrayContaining([expect.objectContaining(p.ideographic), expect.objectContaining(p.phonetic)]),
    );
    expect(patient.identifier).toEqual([expect.objectContaining(p.identifier)]);
    expect(patient.gender).toBe(p.gender);
    expect(patient.birthDate).toBeUndefined();
    expect(JSON.stringify(patient)).not.toContain('1962');
  });

  it('falls back to Performed Location and to the reason text, and maps Long Code Value and unknown schemes', async () => {
    const study = await convertR4();
    const e = manifest.expected;
    expect(study.location?.display).toBe(e.location);
    expect(study.reasonCode?.[0]?.text).toBe(e.reasonText);
    const codings = study.procedureCode?.flatMap((c) => c.coding ?? []) ?? [];
    expect(codings).toContainEqual(expect.objectContaining(e.procedureCode));
    for (const coding of codings) {
      expect(coding.system).not.toBe(e.unknownDesignator);
      if (coding.system !== undefined) expect(coding.system).toMatch(/^[a-z][a-z0-9+.-]*:/);
    }
    expect(JSON.stringify(study.procedureCode)).toContain('Local head protocol');
  });

  it('omits a negative Series Number and unpaired laterality, maps bilateral and body part spelling variants', async () => {
    const study = await convertR4();
    for (const expected of manifest.expected.series) {
      const series = study.series?.find((s) => s.uid === expected.uid);
      expect(series, expected.modality).toBeDefined();
      expect(series?.number).toBe(expected.number);
      expect(series?.modality.code).toBe(expected.modality);
      expect(series?.bodySite).toMatchObject(expected.bodySite);
      if (expected.laterality === undefined) expect(series?.laterality).toBeUndefined();
      else expect(series?.laterality).toMatchObject(expected.laterality);
      expect(series?.instance?.map((i) => i.number)).toEqual(expected.instanceNumbers);
    }
    expect(study.numberOfInstances).toBe(manifest.files);
    expect(validate(study)).toEqual([]);
  });
});
