import type { Bundle, BundleEntry, Endpoint, ImagingStudy, Observation, Patient, ServiceRequest } from 'fhir/r4';
import type { Bundle as BundleR5, Endpoint as EndpointR5, ServiceRequest as ServiceRequestR5 } from 'fhir/r5';
import { describe, expect, it } from 'vitest';
import { convertStudy, type ConvertOptions } from './index.js';
import { validateR4Bundle } from '../../test/support/fhir-validation.js';
import { STUDY_UID, bareInstance, ctInstance, richStudy, text, withElements } from '../../test/support/datasets.js';
import type { Dataset } from '../dicom/dataset.js';

const DICOMWEB: ConvertOptions['endpoint'] = { kind: 'dicomweb', baseUrl: 'http://pacs.example/dicom-web' };

function bundle(datasets: Dataset[], options: ConvertOptions = {}): Bundle {
  const { resource } = convertStudy(datasets, { ...options, format: 'bundle' });
  expect(validateR4Bundle(resource)).toEqual([]);
  return resource as Bundle;
}

function entriesOf<T>(b: Bundle, type: string): (BundleEntry & { resource: T })[] {
  return (b.entry ?? []).filter((e) => e.resource?.resourceType === type) as (BundleEntry & { resource: T })[];
}

function only<T>(b: Bundle, type: string): BundleEntry & { resource: T } {
  const found = entriesOf<T>(b, type);
  expect(found, type).toHaveLength(1);
  return found[0] as BundleEntry & { resource: T };
}

describe('convertStudy bundle form (SPEC §2, §2.6)', () => {
  it('is a transaction of Patient, Practitioners, Endpoint, ServiceRequest, Observations and the ImagingStudy', () => {
    const b = bundle(richStudy(), { endpoint: DICOMWEB });
    expect(b.type).toBe('transaction');
    expect(b.entry?.map((e) => e.resource?.resourceType)).toEqual([
      'Patient',
      'Practitioner',
      'Practitioner',
      'Practitioner',
      'Endpoint',
      'ServiceRequest',
      'Observation',
      'Observation',
      'ImagingStudy',
    ]);
    expect(b.entry?.every((e) => /^urn:uuid:[0-9a-f-]{36}$/.test(e.fullUrl ?? ''))).toBe(true);
  });

  it('updates the ImagingStudy conditionally on its UID identifier, without a client id', () => {
    const study = only<ImagingStudy>(bundle(richStudy()), 'ImagingStudy');
    expect(study.request).toEqual({ method: 'PUT', url: `ImagingStudy?identifier=urn:dicom:uid|urn:oid:${STUDY_UID}` });
    expect(study.resource.id).toBeUndefined();
    expect(study.resource.contained).toBeUndefined();
  });

  it('updates the Patient conditionally on system|value and links the study to its fullUrl', () => {
    const b = bundle(richStudy());
    const patient = only<Patient>(b, 'Patient');
    expect(patient.request).toEqual({ method: 'PUT', url: 'Patient?identifier=urn:oid:1.2.826.0.1.3680043.8.498.7|MRN-12345' });
    expect(patient.resource.id).toBeUndefined();
    expect(patient.resource.name?.[0]?.family).toBe('Yamada');
    expect(only<ImagingStudy>(b, 'ImagingStudy').resource.subject).toEqual({ reference: patient.fullUrl });
  });

  it('creates the Patient only if none exists when its identifier has no system', () => {
    const datasets = [withElements(ctInstance(1), { '00100021': undefined })];
    expect(only<Patient>(bundle(datasets), 'Patient').request).toEqual({
      method: 'POST',
      url: 'Patient',
      ifNoneExist: 'identifier=MRN-12345',
    });
  });

  it('derives the Patient fullUrl from issuer and Patient ID, the same for every study of the patient', () => {
    const other = richStudy().map((ds) => withElements(ds, { '0020000D': text('UI', '1.2.3.4') }));
    expect(only<Patient>(bundle(other), 'Patient').fullUrl).toBe(only<Patient>(bundle(richStudy()), 'Patient').fullUrl);
  });

  it('escapes search separators inside identifier values of conditional URLs', () => {
    const datasets = [withElements(ctInstance(1), { '00100020': text('LO', 'A|B,C&D') })];
    expect(only<Patient>(bundle(datasets), 'Patient').request?.url).toBe(
      'Patient?identifier=urn:oid:1.2.826.0.1.3680043.8.498.7|A%5C%7CB%5C%2CC%26D',
    );
  });

  it('carries accession (ACSN), Requested Procedure ID, placer (PLAC) and filler (FILL) numbers and the requested procedure on the ServiceRequest', () => {
    const b = bundle(richStudy());
    const order = only<ServiceRequest>(b, 'ServiceRequest');
    expect(order.request).toEqual({
      method: 'PUT',
      url: 'ServiceRequest?identifier=urn:oid:1.2.826.0.1.3680043.8.498.99|ACC-2024-0001',
    });
    expect(order.resource.identifier?.map((i) => [i.type?.coding?.[0]?.code ?? i.type?.text, i.value])).toEqual([
      ['ACSN', 'ACC-2024-0001'],
      ['Requested Procedure ID', 'RP-9'],
      ['PLAC', 'PLACER-1'],
      ['FILL', 'FILLER-1'],
    ]);
    expect(order.resource).toMatchObject({
      status: 'unknown',
      intent: 'order',
      code: { coding: [{ system: 'http://radlex.org', code: 'RPID4', display: 'CT chest with IV contrast' }] },
      subject: { reference: only<Patient>(b, 'Patient').fullUrl },
    });
    expect(only<ImagingStudy>(b, 'ImagingStudy').resource.basedOn).toEqual([{ reference: order.fullUrl }]);
  });

  it("turns Patient's Weight and Size into body weight and height Observations of the patient", () => {
    const b = bundle(richStudy());
    const observations = entriesOf<Observation>(b, 'Observation').map((e) => e.resource);
    expect(observations.map((o) => [o.code.coding?.[0]?.code, o.valueQuantity])).toEqual([
      ['29463-7', { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' }],
      ['8302-2', { value: 1.75, unit: 'm', system: 'http://unitsofmeasure.org', code: 'm' }],
    ]);
    const patientUrl = only<Patient>(b, 'Patient').fullUrl;
    const studyUrl = only<ImagingStudy>(b, 'ImagingStudy').fullUrl;
    for (const o of observations) {
      expect(o).toMatchObject({ status: 'final', subject: { reference: patientUrl }, partOf: [{ reference: studyUrl }] });
    }
  });

  it('has no Observation for a zero weight, and reports it', () => {
    const conversion = convertStudy([withElements(ctInstance(1), { '00101030': text('DS', '0'), '00101020': undefined })], { format: 'bundle' });
    expect((conversion.resource as Bundle).entry?.some((e) => e.resource?.resourceType === 'Observation')).toBe(false);
    expect(conversion.issues.map((i) => i.code)).toContain('invalid-value');
  });

  it('links performers and referrer to Practitioner entries, created only if none has that identifier, else that exact name', () => {
    const b = bundle(richStudy());
    const practitioners = entriesOf(b, 'Practitioner');
    const study = only<ImagingStudy>(b, 'ImagingStudy').resource;
    expect(study.referrer).toEqual({ reference: practitioners[0]?.fullUrl });
    expect(study.series?.[0]?.performer?.map((p) => p.actor.reference)).toEqual([practitioners[1]?.fullUrl, practitioners[2]?.fullUrl]);
    expect(practitioners.map((p) => p.request)).toEqual([
      { method: 'POST', url: 'Practitioner', ifNoneExist: 'identifier=REF-77' },
      { method: 'POST', url: 'Practitioner', ifNoneExist: 'identifier=PERF-1' },
      { method: 'POST', url: 'Practitioner', ifNoneExist: 'family:exact=Operator&given:exact=Olga' },
    ]);
  });

  it('adds a DICOMweb Endpoint entry with connection type, address and DICOM payload', () => {
    const b = bundle(richStudy(), { endpoint: DICOMWEB });
    const endpoint = only<Endpoint>(b, 'Endpoint');
    expect(endpoint.request).toEqual({ method: 'PUT', url: 'Endpoint?identifier=urn:ietf:rfc:3986|http://pacs.example/dicom-web' });
    expect(endpoint.resource).toMatchObject({
      connectionType: { code: 'dicom-wado-rs' },
      address: 'http://pacs.example/dicom-web',
      payloadType: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'DICOM' }] }],
    });
    expect(only<ImagingStudy>(b, 'ImagingStudy').resource.endpoint).toEqual([{ reference: endpoint.fullUrl }]);
  });

  it('writes just the Patient and the ImagingStudy for a study of UIDs only', () => {
    const b = bundle([bareInstance('1.2.1', '1.2.1.1')]);
    expect(b.entry?.map((e) => [e.resource?.resourceType, e.request?.method])).toEqual([
      ['Patient', 'POST'],
      ['ImagingStudy', 'PUT'],
    ]);
  });
});

describe('convertStudy R5 bundle', () => {
  it('uses R5 Endpoint fields and a CodeableReference for ServiceRequest.code', () => {
    const b = convertStudy(richStudy(), { format: 'bundle', fhirVersion: 'R5', endpoint: DICOMWEB }).resource as BundleR5;
    const endpoint = b.entry?.find((e) => e.resource?.resourceType === 'Endpoint')?.resource as EndpointR5;
    expect(endpoint.connectionType).toEqual([
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'dicom-wado-rs' }] },
    ]);
    expect(endpoint.payload).toEqual([
      {
        type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'DICOM' }] }],
        mimeType: ['application/dicom'],
      },
    ]);
    expect(endpoint).not.toHaveProperty('payloadType');
    const order = b.entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')?.resource as ServiceRequestR5;
    expect(order.code?.concept?.coding?.[0]?.code).toBe('RPID4');
  });
});
