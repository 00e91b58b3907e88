import type { Bundle, ImagingStudy, Observation, Patient, ServiceRequest } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertStudy } from '../../src/convert/index.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { STUDY_UID, richStudy } from '../support/datasets.js';

let server: FhirTestServer;

beforeAll(async () => {
  server = await startFhirServer();
});

afterAll(async () => {
  await server.stop();
});

async function post(bundle: unknown): Promise<{ status: number; body: Bundle }> {
  const response = await fetch(server.baseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify(bundle),
  });
  return { status: response.status, body: (await response.json()) as Bundle };
}

async function counts(): Promise<Record<string, number>> {
  const types = ['Patient', 'Practitioner', 'Endpoint', 'ServiceRequest', 'Observation', 'ImagingStudy'] as const;
  const out: Record<string, number> = {};
  for (const type of types) out[type] = (await server.search(type)).length;
  return out;
}

describe('transaction Bundle on a real FHIR engine (Medplum router)', () => {
  it('is accepted, resolves every urn:uuid reference, and a second post creates nothing new', async () => {
    // Practitioners without an identifier system stay contained (SPEC §2.7), so the rich study
    // with its Endpoint is 6 entries: within Medplum's limit of 8 for conditional transactions.
    const bundle = convertStudy(richStudy(), {
      format: 'bundle',
      endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs.example/dicom-web' },
    }).resource;
    const expected = { Patient: 1, Practitioner: 0, Endpoint: 1, ServiceRequest: 1, Observation: 2, ImagingStudy: 1 };

    const first = await post(bundle);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.type).toBe('transaction-response');
    expect(first.body.entry?.map((e) => e.response?.status.slice(0, 3))).toEqual(Array(6).fill('201'));
    expect(await counts()).toEqual(expected);

    const [study] = await server.search<ImagingStudy>('ImagingStudy', { identifier: `urn:dicom:uid|urn:oid:${STUDY_UID}` });
    const [patient] = await server.search<Patient>('Patient');
    const [order] = await server.search<ServiceRequest>('ServiceRequest');
    expect(study?.subject.reference).toBe(`Patient/${patient?.id}`);
    expect(study?.basedOn?.[0]?.reference).toBe(`ServiceRequest/${order?.id}`);
    expect(order?.subject.reference).toBe(`Patient/${patient?.id}`);
    expect(study?.referrer?.reference).toBe('#practitioner-1');
    expect(study?.contained?.map((r) => r.resourceType)).toEqual(['Practitioner', 'Practitioner', 'Practitioner']);
    for (const o of await server.search<Observation>('Observation')) {
      expect(o.subject?.reference).toBe(`Patient/${patient?.id}`);
      expect(o.partOf?.[0]?.reference).toBe(`ImagingStudy/${study?.id}`);
    }

    const second = await post(bundle);
    expect(second.status).toBe(200);
    expect(await counts()).toEqual(expected);
    const [again] = await server.search<ImagingStudy>('ImagingStudy');
    expect(again?.id).toBe(study?.id);
  });
});
