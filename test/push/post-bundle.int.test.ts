import type { Bundle, ImagingStudy, Patient } from 'fhir/r4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runPost } from '../../src/push/cli-options.js';
import { FhirServerError } from '../../src/push/fhir-server-error.js';
import { postBundle } from '../../src/push/post-bundle.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { PATIENT_SYSTEM, studyBundle } from './study-bundle.js';

let server: FhirTestServer;

beforeAll(async () => {
  server = await startFhirServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.repository.clear();
});

function sink(): { text: string; write(chunk: string): boolean } {
  return {
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

const study1 = { studyInstanceUid: '1.2.826.0.1.3680043.10.3.1', patientId: 'PID-1', accessionNumber: 'ACC-1', description: 'CT HEAD' };

describe('postBundle against a FHIR engine', () => {
  it('posting the same study twice leaves one ImagingStudy, one Patient and one ServiceRequest', async () => {
    const first = await postBundle(studyBundle(study1), { url: server.baseUrl });
    const second = await postBundle(studyBundle({ ...study1, description: 'CT HEAD W/O' }), { url: server.baseUrl });

    expect(first.type).toBe('transaction-response');
    expect(first.entry?.map((e) => e.response?.status)).toEqual(['201', '201', '201']);
    // The second time the Patient and the order exist: they are linked by their server ids, not written.
    expect(second.entry?.map((e) => e.response?.status)).toEqual(['200']);
    const studies = await server.search<ImagingStudy>('ImagingStudy');
    const patients = await server.search<Patient>('Patient');
    expect(studies).toHaveLength(1);
    expect(patients).toHaveLength(1);
    expect(await server.search('ServiceRequest')).toHaveLength(1);
    expect(studies[0]?.description).toBe('CT HEAD W/O');
    expect(studies[0]?.subject.reference).toBe(`Patient/${patients[0]?.id}`);
  });

  it('two studies of one patient share one Patient', async () => {
    await postBundle(studyBundle(study1), { url: server.baseUrl });
    await postBundle(studyBundle({ studyInstanceUid: '1.2.826.0.1.3680043.10.3.2', patientId: 'PID-1', accessionNumber: 'ACC-2' }), { url: server.baseUrl });

    const patients = await server.search<Patient>('Patient', { identifier: `${PATIENT_SYSTEM}|PID-1` });
    const studies = await server.search<ImagingStudy>('ImagingStudy');
    expect(patients).toHaveLength(1);
    expect(studies).toHaveLength(2);
    expect(new Set(studies.map((s) => s.subject.reference))).toEqual(new Set([`Patient/${patients[0]?.id}`]));
  });

  it('a refused transaction throws with the server OperationOutcome text', async () => {
    const bundle = studyBundle(study1);
    const entry = bundle.entry?.[2];
    if (entry?.resource) {
      entry.resource.id = 'client-chosen';
    }
    const error = await postBundle(bundle, { url: server.baseUrl, retries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FhirServerError);
    expect((error as FhirServerError).status).toBe(400);
    expect((error as FhirServerError).message).toContain('Cannot provide ID for create by update');
    expect(await server.search('ImagingStudy')).toHaveLength(0);
  });
});

describe('runPost (the --post CLI option)', () => {
  it('prints the transaction-response Bundle and exits 0', async () => {
    const stdout = sink();
    const stderr = sink();
    const code = await runPost(studyBundle(study1), { post: server.baseUrl }, stderr, { stdout, env: {} });
    expect(code).toBe(0);
    expect(stderr.text).toBe('');
    const printed = JSON.parse(stdout.text) as Bundle;
    expect(printed.type).toBe('transaction-response');
    expect(printed.entry?.[2]?.response?.location).toMatch(/^ImagingStudy\//);
    expect(await server.search('ImagingStudy')).toHaveLength(1);
  });

  it('a server that is down gives exit 1 and one paragraph without a stack trace', async () => {
    const down = await startFhirServer();
    await down.stop();
    const stdout = sink();
    const stderr = sink();
    const code = await runPost(studyBundle(study1), { post: down.baseUrl, 'fhir-timeout': '2' }, stderr, { stdout, env: {} });
    expect(code).toBe(1);
    expect(stdout.text).toBe('');
    expect(stderr.text).toBe(`dicom2fhir: posting the Bundle failed. FHIR server ${down.baseUrl} could not be reached for GET Patient?… (4 attempts): ECONNREFUSED\n`);
  }, 30_000);

  it('a refused Bundle gives exit 1 naming the server reason', async () => {
    const bundle = studyBundle(study1);
    const request = bundle.entry?.[0]?.request;
    if (request) {
      request.url = 'ImagingStudy?identifier=x|y';
    }
    const stderr = sink();
    const code = await runPost(bundle, { post: server.baseUrl }, stderr, { stdout: sink(), env: {} });
    expect(code).toBe(1);
    expect(stderr.text).toContain('answered 400 to the transaction (1 attempt): Search type must match resource type for conditional update');
    expect(stderr.text).not.toMatch(/\n\s+at /);
  });

  it('sends the token from FHIR_SERVER_TOKEN, and a wrong one is reported as 401', async () => {
    const guarded = await startFhirServer({ bearerToken: 'tok-123' });
    try {
      const stderr = sink();
      expect(await runPost(studyBundle(study1), { post: guarded.baseUrl }, stderr, { stdout: sink(), env: { FHIR_SERVER_TOKEN: 'tok-123' } })).toBe(0);
      expect(await guarded.search('ImagingStudy')).toHaveLength(1);
      expect(await runPost(studyBundle(study1), { post: guarded.baseUrl, 'fhir-token': 'wrong' }, stderr, { stdout: sink(), env: {} })).toBe(1);
      expect(stderr.text).toBe(`dicom2fhir: posting the Bundle failed. FHIR server ${guarded.baseUrl} answered 401 to GET Patient?… (1 attempt): Unauthorized\n`);
    } finally {
      await guarded.stop();
    }
  });

  it.each([
    [{ post: 'fhir.example.org' }, "--post needs an http(s) FHIR base URL, got 'fhir.example.org'"],
    [{ post: 'http://x/fhir', 'fhir-username': 'ann' }, '--fhir-username needs --fhir-password (or env FHIR_SERVER_PASSWORD)'],
    [{ post: 'http://x/fhir', 'fhir-password': 'pw' }, '--fhir-password needs --fhir-username'],
    [{ post: 'http://x/fhir', 'fhir-token': 't', 'fhir-username': 'ann', 'fhir-password': 'pw' }, 'give either --fhir-token or --fhir-username/--fhir-password, not both'],
    [{ post: 'http://x/fhir', 'fhir-timeout': '0' }, "--fhir-timeout needs a positive number of seconds, got '0'"],
  ])('rejects bad options %j with exit 2', async (values, message) => {
    const stderr = sink();
    expect(await runPost(studyBundle(study1), values, stderr, { stdout: sink(), env: {} })).toBe(2);
    expect(stderr.text).toBe(`dicom2fhir: ${message}\n`);
  });

  it('asks for the Bundle form when given a bare ImagingStudy', async () => {
    const stderr = sink();
    const notABundle = { resourceType: 'ImagingStudy', status: 'available', subject: {} } as unknown as Bundle;
    expect(await runPost(notABundle, { post: server.baseUrl }, stderr, { stdout: sink(), env: {} })).toBe(2);
    expect(stderr.text).toBe('dicom2fhir: --post sends a transaction Bundle: add --format bundle\n');
  });
});
