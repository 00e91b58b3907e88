import type { Bundle, ImagingStudy, Observation, Patient, Practitioner, ServiceRequest } from 'fhir/r4';
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
  it('refuses the 9-entry bundle with Endpoint for its size (Medplum limit), not its content', async () => {
    const bundle = convertStudy(richStudy(), {
      format: 'bundle',
      endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs.example/dicom-web' },
    }).resource;
    const response = await post(bundle);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('too many entries');
  });

  it('is accepted, resolves every urn:uuid reference, and a second post creates nothing new', async () => {
    // Medplum runs a transaction with conditional entries serializably and then allows at most
    // 8 entries (its own limit, not FHIR's): the rich study without Endpoint has exactly 8.
    const bundle = convertStudy(richStudy(), { format: 'bundle' }).resource;

    const first = await post(bundle);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.type).toBe('transaction-response');
    expect(first.body.entry?.map((e) => e.response?.status.slice(0, 3))).toEqual(Array(8).fill('201'));
    expect(await counts()).toEqual({
      Patient: 1,
      Practitioner: 3,
      Endpoint: 0,
      ServiceRequest: 1,
      Observation: 2,
      ImagingStudy: 1,
    });

    const [study] = await server.search<ImagingStudy>('ImagingStudy', { identifier: `urn:dicom:uid|urn:oid:${STUDY_UID}` });
    const [patient] = await server.search<Patient>('Patient');
    const [order] = await server.search<ServiceRequest>('ServiceRequest');
    expect(study?.subject.reference).toBe(`Patient/${patient?.id}`);
    expect(study?.basedOn?.[0]?.reference).toBe(`ServiceRequest/${order?.id}`);
    expect(order?.subject.reference).toBe(`Patient/${patient?.id}`);
    const practitionerIds = (await server.search<Practitioner>('Practitioner')).map((p) => `Practitioner/${p.id}`);
    expect(practitionerIds).toContain(study?.referrer?.reference);
    for (const o of await server.search<Observation>('Observation')) {
      expect(o.subject?.reference).toBe(`Patient/${patient?.id}`);
      expect(o.partOf?.[0]?.reference).toBe(`ImagingStudy/${study?.id}`);
    }

    const second = await post(bundle);
    expect(second.status).toBe(200);
    expect(await counts()).toEqual({
      Patient: 1,
      Practitioner: 3,
      Endpoint: 0,
      ServiceRequest: 1,
      Observation: 2,
      ImagingStudy: 1,
    });
    const [again] = await server.search<ImagingStudy>('ImagingStudy');
    expect(again?.id).toBe(study?.id);
  });
});
