/** The folder converter's Bundle form, posted to a real FHIR engine (SPEC §2 Bundle form, §4 Push). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, ImagingStudy, Patient, ServiceRequest } from 'fhir/r4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { convertFolder } from '../../src/folder/index.js';
import { postBundle } from '../../src/push/post-bundle.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';
import { assertBuilt, runCli } from '../cli/run-cli.js';

const SAMPLE = 'samples/ct-study';
let server: FhirTestServer;
let dir: string;
let copies: CopiesManifest;

async function folderBundle(directory: string): Promise<Bundle> {
  const { outputs } = await convertFolder(directory, { format: 'bundle' });
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
    const first = await runCli(['convert', SAMPLE, '--post', server.baseUrl], { FHIR_SERVER_TOKEN: '' });
    expect(first.code, first.stderr).toBe(0);
    const response = JSON.parse(first.stdout) as Bundle;
    expect(response.resourceType).toBe('Bundle');
    expect(response.type).toBe('transaction-response');
    expect(response.entry?.every((e) => /^20[01]/.test(e.response?.status ?? ''))).toBe(true);
    expect(first.stderr).toMatch(/^6 instances in 2 series/m);

    const second = await runCli(['convert', SAMPLE, '--post', server.baseUrl]);
    expect(second.code, second.stderr).toBe(0);
    expect(await server.search('ImagingStudy')).toHaveLength(1);
    expect(await server.search('Patient')).toHaveLength(1);
    expect(await server.search('ServiceRequest')).toHaveLength(1);
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect((posts[0]?.body as Bundle).type).toBe('transaction');
  });

  it('writes the Bundle it sent to --out', async () => {
    const out = join(dir, 'sent.json');
    const result = await runCli(['convert', SAMPLE, '--post', server.baseUrl, '--out', out]);
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
    const result = await runCli(['convert', SAMPLE, '--post', down.baseUrl, '--fhir-timeout', '2']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`dicom2fhir: posting the Bundle failed. FHIR server ${down.baseUrl} could not be reached for the transaction (4 attempts): ECONNREFUSED`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it.each([
    [['--post', 'fhir.example.org'], "--post needs an http(s) FHIR base URL, got 'fhir.example.org'"],
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
