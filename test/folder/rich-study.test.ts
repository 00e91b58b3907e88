/**
 * End-to-end: the folder converter (library and CLI) on a generated study that exercises every
 * row of SPEC §2 and the file-level cases of SPEC §3. Expected values come from the generator's
 * manifest, which states them from the DICOM input and the SPEC, not from our own output.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type {
  Bundle as BundleR4,
  Coding as CodingR4,
  ImagingStudy as ImagingStudyR4,
  ImagingStudySeries as SeriesR4,
  Observation as ObservationR4,
  Patient as PatientR4,
  Practitioner as PractitionerR4,
  Resource as ResourceR4,
  ServiceRequest as ServiceRequestR4,
} from 'fhir/r4';
import type { CodeableConcept as CodeableConceptR5, ImagingStudy as ImagingStudyR5 } from 'fhir/r5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFolder } from '../../src/folder/index.js';
import { validateR4 } from '../support/fhir-validation.js';
import {
  DCM,
  generateRichStudy,
  type ExpectedCoding,
  type ExpectedSeries,
  type RichStudyManifest,
} from '../support/generate/rich-study.js';

const execFileAsync = promisify(execFile);
const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(REPO_ROOT, 'dist/cli/main.js');
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const DATA_ABSENT_REASON = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';
const BIRTH_TIME = 'http://hl7.org/fhir/StructureDefinition/patient-birthTime';
const US_CORE_ETHNICITY = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity';
const UCUM = 'http://unitsofmeasure.org';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { maxBuffer: 64 * 2 ** 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function expectCoding(actual: CodingR4 | undefined, expected: ExpectedCoding): void {
  expect(actual).toBeDefined();
  expect(actual?.code).toBe(expected.code);
  expect(actual?.system).toBe(expected.system);
  if (expected.display !== undefined) expect(actual?.display).toBe(expected.display);
  if (expected.userSelected !== undefined) expect(actual?.userSelected).toBe(expected.userSelected);
}

function codingOf(codings: CodingR4[] | undefined, expected: ExpectedCoding): CodingR4 | undefined {
  return codings?.find((c) => c.code === expected.code);
}

function hasTypeCode(identifier: { type?: { coding?: CodingR4[] } }, code: string): boolean {
  return identifier.type?.coding?.some((c) => c.system === V2_0203 && c.code === code) ?? false;
}

function contained<T extends ResourceR4>(study: ImagingStudyR4, reference: string | undefined, type: T['resourceType']): T {
  expect(reference).toMatch(/^#/);
  const found = study.contained?.find((r) => r.resourceType === type && `#${r.id}` === reference);
  expect(found, `contained ${type} ${reference}`).toBeDefined();
  return found as T;
}

function expectPatient(patient: PatientR4, m: RichStudyManifest): void {
  const p = m.expected.patient;
  const identifier = patient.identifier?.find((i) => i.value === p.identifier.value);
  expect(identifier).toBeDefined();
  expect(identifier?.use).toBe('usual');
  expect(hasTypeCode(identifier ?? {}, p.identifier.typeCode)).toBe(true);
  expect(identifier?.assigner?.display).toBe(p.identifier.assignerDisplay);
  expect(patient.name?.[0]).toMatchObject(p.name);
  expect(patient.gender).toBe(p.gender);
  expect(patient.birthDate).toBe(p.birthDate);
  const birthTime = patient._birthDate?.extension?.find((e) => e.url === BIRTH_TIME);
  expect(birthTime?.valueDateTime?.startsWith(p.birthTimePrefix)).toBe(true);
  expect(patient.address?.[0]?.text).toBe(p.addressText);
  expect(patient.telecom).toEqual(p.phones.map((value) => expect.objectContaining({ system: 'phone', value })));
  const ethnicity = patient.extension?.find((e) => e.url === US_CORE_ETHNICITY);
  expect(ethnicity?.extension?.find((e) => e.url === 'text')?.valueString).toBe(p.ethnicGroup);
  expect(patient.active).toBe(true);
}

function practitionerMatches(practitioner: PractitionerR4, family: string, identifier: string): boolean {
  return (
    practitioner.name?.some((n) => n.family === family) === true &&
    practitioner.identifier?.some((i) => i.value === identifier) === true
  );
}

function expectSeriesR4(study: ImagingStudyR4, actual: SeriesR4, expected: ExpectedSeries): void {
  expect(actual.number).toBe(expected.number);
  if (expected.modality === undefined) {
    expect(actual.modality.code).toBeUndefined();
    expect(actual.modality.extension?.find((e) => e.url === DATA_ABSENT_REASON)?.valueCode).toBe('unknown');
  } else {
    expectCoding(actual.modality, { system: DCM, code: expected.modality });
  }
  expect(actual.description).toBe(expected.description);
  expect(actual.numberOfInstances).toBe(expected.numberOfInstances);
  expect(actual.started).toBe(expected.started);
  if (expected.bodySite === undefined) expect(actual.bodySite).toBeUndefined();
  else expectCoding(actual.bodySite, expected.bodySite);
  if (expected.laterality === undefined) expect(actual.laterality).toBeUndefined();
  else expectCoding(actual.laterality, expected.laterality);

  const performers = (actual.performer ?? []).map((p) =>
    contained<PractitionerR4>(study, p.actor.reference, 'Practitioner'),
  );
  expect(performers.map((p) => p.name?.[0]?.family).sort()).toEqual([...expected.performerFamilies].sort());
  expect(performers.flatMap((p) => p.identifier?.map((i) => i.value) ?? []).sort()).toEqual(
    [...expected.performerIdentifiers].sort(),
  );
  if (expected.specimenIdentifier === undefined) expect(actual.specimen).toBeUndefined();
  else expect(actual.specimen?.map((s) => s.identifier?.value)).toEqual([expected.specimenIdentifier]);

  expect(actual.instance).toEqual(
    expected.instances.map((i) => ({
      uid: i.uid,
      sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${i.sopClassUid}` },
      number: i.number,
      title: i.title,
    })),
  );
}

function expectImagingStudyR4(study: ImagingStudyR4, m: RichStudyManifest): void {
  const e = m.expected;
  expect(study.resourceType).toBe('ImagingStudy');
  expect(study.id).toBe(m.studyInstanceUid);
  expect(study.status).toBe('available');
  expect(study.identifier).toContainEqual({ system: 'urn:dicom:uid', value: `urn:oid:${m.studyInstanceUid}` });
  const accession = study.identifier?.find((i) => hasTypeCode(i, 'ACSN'));
  expect(accession?.value).toBe(e.accession.value);
  expect(accession?.use).toBe('usual');
  expect(accession?.assigner?.display).toBe(e.accession.assignerDisplay);
  expect(study.identifier?.some((i) => i.value === e.studyId)).toBe(true);
  expect(study.started).toBe(e.started);
  expect(study.description).toBe(e.description);
  expect(study.location?.display).toBe(e.location);
  expect(study.modality?.map((c) => c.code)).toEqual(e.modalities);
  expect(study.modality?.every((c) => c.system === DCM)).toBe(true);
  expect(study.numberOfSeries).toBe(e.numberOfSeries);
  expect(study.numberOfInstances).toBe(e.numberOfInstances);
  expectCoding(codingOf(study.procedureCode?.[0]?.coding, e.procedureCode), e.procedureCode);
  expectCoding(codingOf(study.reasonCode?.[0]?.coding, e.reasonCode), e.reasonCode);
  expect(study.endpoint).toBeUndefined();

  const basedOn = study.basedOn?.find((r) => r.identifier?.value === e.order.accession);
  expect(basedOn && hasTypeCode(basedOn.identifier ?? {}, 'ACSN')).toBe(true);

  expect(study.subject.reference).toBe('#patient.contained.inline');
  expectPatient(contained<PatientR4>(study, study.subject.reference, 'Patient'), m);
  expect(study.contained?.some((r) => r.resourceType === 'Observation')).toBe(false);

  expect(study.referrer).toBeDefined();
  const referrer = contained<PractitionerR4>(study, study.referrer?.reference, 'Practitioner');
  expect(referrer.name?.[0]).toMatchObject({
    family: e.referrer.family,
    given: e.referrer.given,
    prefix: e.referrer.prefix,
  });
  expect(referrer.identifier?.some((i) => i.value === e.referrer.identifier)).toBe(true);

  const series = study.series ?? [];
  expect(series.map((s) => s.uid).sort()).toEqual(e.series.map((s) => s.uid).sort());
  const numbers = series.map((s) => s.number).filter((n): n is number => n !== undefined);
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  for (const expected of e.series) {
    const actual = series.find((s) => s.uid === expected.uid);
    expect(actual, `series ${expected.description}`).toBeDefined();
    expectSeriesR4(study, actual as SeriesR4, expected);
  }
}

function codesOf(concepts: Array<CodeableConceptR5 | undefined> | undefined): string[] {
  return (concepts ?? []).flatMap((c) => c?.coding?.map((x) => x.code ?? '') ?? []);
}

/** Every validation message fails the test: a folder study has no endpoint (SPEC §2.1). */
function validate(resource: unknown): string[] {
  return validateR4(resource);
}

function ctSeriesUid(): string {
  return manifest.expected.series.find((s) => s.modality === 'CT')?.uid ?? 'no CT series';
}

let manifest: RichStudyManifest;
let workDir: string;

beforeAll(async () => {
  if (!existsSync(CLI)) {
    await execFileAsync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT });
  }
  workDir = await mkdtemp(join(tmpdir(), 'dicom2fhir-e2e-'));
  manifest = await generateRichStudy(join(workDir, 'study'));
});

afterAll(async () => {
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

describe('folder converter on the rich study', () => {
  it('reads every DICOM file, skips each junk file with its reason and reports the duplicate instance', async () => {
    const result = await convertFolder(manifest.dir);
    expect(result.outputs).toHaveLength(1);
    expect(result.studies).toEqual([
      {
        studyInstanceUid: manifest.studyInstanceUid,
        files: manifest.dicomFiles.map((f) => join(manifest.dir, f.path)).sort(),
      },
    ]);
    expect(result.filesRead).toBe(manifest.dicomFiles.length + manifest.junk.length);
    const skipped = result.skipped.map((s) => ({ path: relative(manifest.dir, s.path), reason: s.reason }));
    expect(skipped.sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      [...manifest.junk].sort((a, b) => a.path.localeCompare(b.path)),
    );
    for (const s of result.skipped) expect(s.detail.length).toBeGreaterThan(0);
    const duplicates = result.outputs[0]?.issues.filter((i) => i.code === 'duplicate-instance') ?? [];
    expect(duplicates).toHaveLength(1);
    expect(duplicates[0]?.message).toContain(ctSeriesUid());
    expect(duplicates[0]?.message).toContain(`${manifest.duplicateSopInstanceUids.length} duplicate`);
  });

  it('maps every study, series, instance and patient field of the R4 ImagingStudy to the expected FHIR value', async () => {
    const result = await convertFolder(manifest.dir);
    const conversion = result.outputs[0];
    expect(conversion?.studyInstanceUid).toBe(manifest.studyInstanceUid);
    expect(conversion?.numberOfSeries).toBe(manifest.expected.numberOfSeries);
    expect(conversion?.numberOfInstances).toBe(manifest.expected.numberOfInstances);
    const study = conversion?.resource as ImagingStudyR4;
    expectImagingStudyR4(study, manifest);
    expect(validate(study)).toEqual([]);
  });

  it('gives R5 types where R5 differs from R4: CodeableConcept modalities, procedure, reason and bodySite.concept', async () => {
    const result = await convertFolder(manifest.dir, { fhirVersion: 'R5' });
    const study = result.outputs[0]?.resource as ImagingStudyR5;
    const e = manifest.expected;
    expect(study.resourceType).toBe('ImagingStudy');
    expect(codesOf(study.modality)).toEqual(e.modalities);
    expect(codesOf(study.procedure?.map((p) => p.concept))).toContain(e.procedureCode.code);
    expect(codesOf(study.reason?.map((r) => r.concept))).toContain(e.reasonCode.code);
    expect(study.numberOfInstances).toBe(e.numberOfInstances);
    for (const expected of e.series) {
      const series = study.series?.find((s) => s.uid === expected.uid);
      expect(series).toBeDefined();
      if (expected.modality !== undefined) expect(codesOf([series?.modality])).toEqual([expected.modality]);
      if (expected.bodySite !== undefined) expect(codesOf([series?.bodySite?.concept])).toEqual([expected.bodySite.code]);
      if (expected.laterality !== undefined) expect(codesOf([series?.laterality])).toEqual([expected.laterality.code]);
      expect(series?.instance?.map((i) => i.title)).toEqual(expected.instances.map((i) => i.title));
    }
  });

  it('builds a valid transaction Bundle with Patient, Practitioners, the order, body measurements and the ImagingStudy', async () => {
    // The study's issuers are plain names: the site maps them to systems, which makes Patient,
    // order and Practitioners server resources (SPEC §2.7; without systems they stay contained).
    const issuerSystems = { 'St. Example Hospital': 'urn:oid:1.2.3.100', 'RIS-NORTH': 'urn:oid:1.2.3.200', L: 'https://st-example.example/staff' };
    const result = await convertFolder(manifest.dir, { format: 'bundle', issuerSystems });
    const bundle = result.outputs[0]?.resource as BundleR4;
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('transaction');
    expect(validate(bundle)).toEqual([]);
    const entries = bundle.entry ?? [];
    for (const entry of entries) {
      expect(entry.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(entry.request?.method).toMatch(/^(PUT|POST)$/);
    }
    const byType = (type: string) => entries.filter((x) => x.resource?.resourceType === type);
    const e = manifest.expected;

    const [patientEntry] = byType('Patient');
    expect(byType('Patient')).toHaveLength(1);
    expectPatient(patientEntry?.resource as PatientR4, manifest);

    const [orderEntry] = byType('ServiceRequest');
    const order = orderEntry?.resource as ServiceRequestR4;
    const orderIdentifier = (type: string) => order.identifier?.find((i) => hasTypeCode(i, type))?.value;
    expect(orderIdentifier('ACSN')).toBe(e.order.accession);
    expect(orderIdentifier('PLAC')).toBe(e.order.placerOrderNumber);
    expect(orderIdentifier('FILL')).toBe(e.order.fillerOrderNumber);
    expect(order.identifier?.some((i) => i.value === e.order.requestedProcedureId)).toBe(true);
    expectCoding(codingOf(order.code?.coding, e.order.requestedProcedureCode), e.order.requestedProcedureCode);
    expect(order.subject.reference).toBe(patientEntry?.fullUrl);

    const observations = byType('Observation').map((x) => x.resource as ObservationR4);
    const weight = observations.find((o) => o.code.coding?.some((c) => c.code === '29463-7'));
    expect(weight?.valueQuantity).toMatchObject({ value: e.patient.weightKg, system: UCUM, code: 'kg' });
    expect(weight?.subject?.reference).toBe(patientEntry?.fullUrl);
    const height = observations.find((o) => o.code.coding?.some((c) => c.code === '8302-2'));
    const heightM = height?.valueQuantity?.code === 'cm' ? (height.valueQuantity.value ?? 0) / 100 : height?.valueQuantity?.value;
    expect(heightM).toBeCloseTo(e.patient.heightM, 6);
    expect(height?.valueQuantity?.system).toBe(UCUM);

    const practitioners = byType('Practitioner').map((x) => x.resource as PractitionerR4);
    expect(practitioners.some((p) => practitionerMatches(p, e.referrer.family, e.referrer.identifier))).toBe(true);
    const mr = e.series.find((s) => s.modality === 'MR');
    for (const [i, family] of (mr?.performerFamilies ?? []).entries()) {
      expect(practitioners.some((p) => practitionerMatches(p, family, mr?.performerIdentifiers[i] ?? ''))).toBe(true);
    }

    const [studyEntry] = byType('ImagingStudy');
    const study = studyEntry?.resource as ImagingStudyR4;
    expect(studyEntry?.request?.url).toBe(`ImagingStudy?identifier=urn:dicom:uid|urn:oid:${manifest.studyInstanceUid}`);
    expect(study.subject.reference).toBe(patientEntry?.fullUrl);
    expect(study.basedOn?.map((r) => r.reference)).toContain(orderEntry?.fullUrl);
    expect(study.numberOfInstances).toBe(e.numberOfInstances);
    expect(study.series?.map((s) => s.uid).sort()).toEqual(e.series.map((s) => s.uid).sort());
  });
});

describe('convert CLI on the rich study', () => {
  it('prints the same ImagingStudy as the library and a PHI-free summary of instances, series and skipped files', async () => {
    const run = await cli(['convert', manifest.dir]);
    expect(run.code, run.stderr).toBe(0);
    const library = await convertFolder(manifest.dir);
    expect(run.stdout).toBe(`${JSON.stringify(library.outputs[0]?.resource, null, 2)}\n`);
    expectImagingStudyR4(JSON.parse(run.stdout) as ImagingStudyR4, manifest);
    const e = manifest.expected;
    expect(run.stderr).toContain(`${e.numberOfInstances} instances in ${e.numberOfSeries} series`);
    expect(run.stderr).toContain(`skipped ${manifest.junk.length} files`);
    expect(run.stderr).toContain('not DICOM: 3');
    expect(run.stderr).toContain('truncated: 1');
    expect(run.stderr).toMatch(new RegExp(`duplicate.*${ctSeriesUid().replace(/\./g, '\\.')}`));
    for (const phi of ['Müller', 'Jürgen', e.patient.identifier.value, '19620714', 'Hauptstraße', '+49 221']) {
      expect(run.stderr).not.toContain(phi);
    }
  });

  it('converts to R5 and to a transaction Bundle from the command line', async () => {
    const r5 = await cli(['convert', manifest.dir, '--fhir-version', 'R5']);
    expect(r5.code, r5.stderr).toBe(0);
    const study = JSON.parse(r5.stdout) as ImagingStudyR5;
    expect(codesOf(study.modality)).toEqual(manifest.expected.modalities);

    const bundle = await cli(['convert', manifest.dir, '--format', 'bundle']);
    expect(bundle.code, bundle.stderr).toBe(0);
    const parsed = JSON.parse(bundle.stdout) as BundleR4;
    expect(parsed.type).toBe('transaction');
    expect(validate(parsed)).toEqual([]);
  });

  it('gives byte-identical output when the same folder is converted twice, in every output form', async () => {
    for (const args of [[], ['--fhir-version', 'R5'], ['--format', 'bundle']]) {
      const first = await cli(['convert', manifest.dir, ...args]);
      const second = await cli(['convert', manifest.dir, ...args]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout.length).toBeGreaterThan(0);
      expect(second.stdout).toBe(first.stdout);
    }
  });
});
