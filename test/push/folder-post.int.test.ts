/** The folder converter's Bundle form, posted to a real FHIR engine (SPEC §2 Bundle form, §4 Push). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Endpoint, ImagingStudy, Patient, ServiceRequest } from 'fhir/r4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { convertFolder } from '../../src/folder/index.js';
import { postBundle } from '../../src/push/post-bundle.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';
import { assertBuilt, runCli } from '../cli/run-cli.js';

const SAMPLE = 'samples/ct-study';
/** The sample's Patient ID and Accession Number carry no issuer: the site names their systems. */
const PATIENT_SYSTEM = 'https://hospital.example/mrn';
const SYSTEMS = { patientIdentifierSystem: PATIENT_SYSTEM, accessionSystem: 'https://hospital.example/accession' };
const SYSTEM_FLAGS = ['--patient-id-system', SYSTEMS.patientIdentifierSystem, '--accession-system', SYSTEMS.accessionSystem];
let server: FhirTestServer;
let dir: string;
let copies: CopiesManifest;

async function folderBundle(directory: string): Promise<Bundle> {
  const { outputs } = await convertFolder(directory, { format: 'bundle', ...SYSTEMS });
  const [conversion] = outputs;
  if (conversion === undefined || conversion.resource.resourceType !== 'Bundle') {
    throw new Error(`no Bundle converted from ${directory}`);
  }
  return conversion.resource as Bundle;
}

beforeAll(async () => {
  assertBuilt();
  server = await startFhirServer();
  dir = mkdtempSync(join(tmpdir(), 'push-folder-'));
  copies = await generateCopies(join(SAMPLE, 'IM1.dcm'), dir, { studies: 2, seriesPerStudy: 1, instancesPerSeries: 2, seed: 'push' });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.repository.clear();
  server.requests.length = 0;
});

describe('posting a converted folder', () => {
  it('twice leaves one ImagingStudy, one Patient and one ServiceRequest, updated in place', async () => {
    const bundle = await folderBundle(SAMPLE);
    const first = await postBundle(bundle, { url: server.baseUrl });
    const second = await postBundle(bundle, { url: server.baseUrl });

    const studies = await server.search<ImagingStudy>('ImagingStudy');
    const patients = await server.search<Patient>('Patient');
    const orders = await server.search<ServiceRequest>('ServiceRequest');
    expect(studies).toHaveLength(1);
    expect(patients).toHaveLength(1);
    expect(orders).toHaveLength(1);
    const studyLocation = (response: Bundle): string | undefined =>
      response.entry?.find((e) => e.response?.location?.startsWith('ImagingStudy/'))?.response?.location;
    expect(studyLocation(second)).toBe(studyLocation(first));
    expect(studyLocation(first)).toBe(`ImagingStudy/${studies[0]?.id}`);
    const study = studies[0] as ImagingStudy;
    expect(study.subject.reference).toBe(`Patient/${patients[0]?.id}`);
    expect(study.basedOn?.[0]?.reference).toBe(`ServiceRequest/${orders[0]?.id}`);
    expect(study.numberOfSeries).toBe(2);
    expect(study.numberOfInstances).toBe(6);
    expect(orders[0]?.subject.reference).toBe(`Patient/${patients[0]?.id}`);
  });

  it('of two studies of one patient gives one Patient referenced by both ImagingStudies', async () => {
    expect(copies.studies).toHaveLength(2);
    for (const study of copies.studies) {
      await postBundle(await folderBundle(study.directory), { url: server.baseUrl });
    }
    const studies = await server.search<ImagingStudy>('ImagingStudy');
    const patients = await server.search<Patient>('Patient');
    expect(patients).toHaveLength(1);
    expect(studies.map((s) => s.identifier?.[0]?.value).sort()).toEqual(copies.studies.map((s) => `urn:oid:${s.studyInstanceUid}`).sort());
    expect(studies.map((s) => s.subject.reference)).toEqual([`Patient/${patients[0]?.id}`, `Patient/${patients[0]?.id}`]);
  });
});

describe('dicom2fhir convert --post', () => {
  it('posts the Bundle and prints the transaction-response; twice leaves one of each resource', async () => {
    const first = await runCli(['convert', SAMPLE, ...SYSTEM_FLAGS, '--post', server.baseUrl], { FHIR_SERVER_TOKEN: '' });
    expect(first.code, first.stderr).toBe(0);
    const response = JSON.parse(first.stdout) as Bundle;
    expect(response.resourceType).toBe('Bundle');
    expect(response.type).toBe('transaction-response');
    expect(response.entry?.every((e) => /^20[01]/.test(e.response?.status ?? ''))).toBe(true);
    expect(first.stderr).toMatch(/^6 instances in 2 series/m);

    const second = await runCli(['convert', SAMPLE, ...SYSTEM_FLAGS, '--post', server.baseUrl]);
    expect(second.code, second.stderr).toBe(0);
    expect(await server.search('ImagingStudy')).toHaveLength(1);
    expect(await server.search('Patient')).toHaveLength(1);
    expect(await server.search('ServiceRequest')).toHaveLength(1);
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect((posts[0]?.body as Bundle).type).toBe('transaction');
  });

  it('writes the Bundle as converted to --out (sent as it is to an empty server)', async () => {
    const out = join(dir, 'sent.json');
    const result = await runCli(['convert', SAMPLE, ...SYSTEM_FLAGS, '--post', server.baseUrl, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const sent = JSON.parse(readFileSync(out, 'utf8')) as Bundle;
    expect(sent.type).toBe('transaction');
    // The engine assigns ids in the body it received, so the entries are compared by fullUrl and request.
    const received = server.requests.find((r) => r.method === 'POST')?.body as Bundle;
    const shape = (bundle: Bundle) => bundle.entry?.map((e) => [e.fullUrl, e.request?.method, e.request?.url]);
    expect(shape(received)).toEqual(shape(sent));
    expect((JSON.parse(result.stdout) as Bundle).type).toBe('transaction-response');
  });

  it('exits 1 with one paragraph and no stack trace when the server is down', async () => {
    const down = await startFhirServer();
    await down.stop();
    const result = await runCli(['convert', SAMPLE, ...SYSTEM_FLAGS, '--post', down.baseUrl, '--fhir-timeout', '2']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`dicom2fhir: posting the Bundle failed. FHIR server ${down.baseUrl} could not be reached for GET Patient?… (4 attempts): ECONNREFUSED`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('refuses a study whose Patient conflicts with the server, exit 1 with one paragraph naming the reason code, nothing written', async () => {
    const registered: Patient = { resourceType: 'Patient', identifier: [{ system: PATIENT_SYSTEM, value: 'SAMPLE-0001' }], birthDate: '1901' };
    // Medplum's repository is typed with its own FHIR types; the resource is plain R4 JSON.
    const patient = (await server.repository.createResource(registered as never)) as unknown as Patient;
    const result = await runCli(['convert', SAMPLE, ...SYSTEM_FLAGS, '--post', server.baseUrl]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^dicom2fhir: not posted \(patient-demographics-conflict\): study [0-9.]+: .* differs from the DICOM header in birth date; .*Nothing was written to the FHIR server\.$/);
    expect(result.stderr).not.toContain('1901');
    expect(result.stderr).not.toContain('SAMPLE-0001');
    expect(await server.search('ImagingStudy')).toHaveLength(0);
    expect(await server.search<Patient>('Patient')).toEqual([patient]);
  });

  it('moves a study to another patient only with --allow-subject-change, and adds the --endpoint', async () => {
    const endpoint = ['--endpoint', 'https://pacs.example.org/dicom-web'];
    expect((await runCli(['convert', SAMPLE, ...SYSTEM_FLAGS, '--post', server.baseUrl])).code).toBe(0);
    const corrected = ['--patient-id-system', 'https://other.example/mrn', '--accession-system', SYSTEMS.accessionSystem + '/b'];
    const refused = await runCli(['convert', SAMPLE, ...corrected, '--post', server.baseUrl]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(study-of-other-patient)');
    const applied = await runCli(['convert', SAMPLE, ...corrected, ...endpoint, '--post', server.baseUrl, '--allow-subject-change']);
    expect(applied.code, applied.stderr).toBe(0);
    const [study] = await server.search<ImagingStudy>('ImagingStudy');
    const [moved] = await server.search<Patient>('Patient', { identifier: 'https://other.example/mrn|SAMPLE-0001' });
    expect(study?.subject.reference).toBe(`Patient/${moved?.id}`);
    const endpoints = await server.search<Endpoint>('Endpoint');
    expect(endpoints.map((e) => [e.address, e.payloadType?.[0]?.coding?.[0]?.code])).toEqual([['https://pacs.example.org/dicom-web', '113014']]);
    expect(study?.endpoint?.[0]?.reference).toBe(`Endpoint/${endpoints[0]?.id}`);
  });

  it.each([
    [['--post', 'fhir.example.org'], "--post needs an http(s) FHIR base URL, got 'fhir.example.org'"],
    [['--endpoint', '/data/study'], "--endpoint needs the http(s) base URL of a DICOMweb server, got '/data/study'"],
    [['--allow-subject-change'], '--allow-subject-change confirms a change on a FHIR server: it needs --post'],
    [['--issuer-systems', '/nonexistent/issuers.json'], '--issuer-systems: cannot read /nonexistent/issuers.json: ENOENT'],
    [['--patient-mode', 'sometimes'], "--patient-mode must be create or existing, got 'sometimes'"],
    [['--post', 'http://127.0.0.1:9/fhir', '--format', 'imagingstudy'], '--post sends a transaction Bundle, not --format imagingstudy'],
    [['--post', 'http://127.0.0.1:9/fhir', '--fhir-username', 'ann'], '--fhir-username needs --fhir-password'],
  ])('refuses %j with exit 2 before converting anything', async (options, message) => {
    const result = await runCli(['convert', SAMPLE, ...options], { FHIR_SERVER_PASSWORD: '' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/instances in/);
    expect(server.requests).toHaveLength(0);
  });
});
