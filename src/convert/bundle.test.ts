import type { Bundle, BundleEntry, Endpoint, ImagingStudy, Observation, Patient, ServiceRequest } from 'fhir/r4';
import type { Bundle as BundleR5, Endpoint as EndpointR5, ServiceRequest as ServiceRequestR5 } from 'fhir/r5';
import { describe, expect, it } from 'vitest';
import { convertStudy, type ConvertOptions } from './index.js';
import { validateR4Bundle } from '../../test/support/fhir-validation.js';
import { STUDY_UID, bareInstance, ctInstance, personId, pn, richStudy, sq, text, withElements } from '../../test/support/datasets.js';
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
  it('is a transaction of Patient, Endpoint, ServiceRequest, Observations and the ImagingStudy; Practitioners without a system stay contained', () => {
    const b = bundle(richStudy(), { endpoint: DICOMWEB });
    expect(b.type).toBe('transaction');
    expect(b.entry?.map((e) => e.resource?.resourceType)).toEqual([
      'Patient',
      'Endpoint',
      'ServiceRequest',
      'Observation',
      'Observation',
      'ImagingStudy',
    ]);
    const study = only<ImagingStudy>(b, 'ImagingStudy').resource;
    expect(study.contained?.map((r) => [r.resourceType, r.id])).toEqual([
      ['Practitioner', 'practitioner-1'],
      ['Practitioner', 'practitioner-2'],
      ['Practitioner', 'practitioner-3'],
    ]);
    expect(b.entry?.every((e) => /^urn:uuid:[0-9a-f-]{36}$/.test(e.fullUrl ?? ''))).toBe(true);
  });

  it('updates the ImagingStudy conditionally on its UID identifier, without a client id', () => {
    const study = only<ImagingStudy>(bundle(richStudy()), 'ImagingStudy');
    expect(study.request).toEqual({ method: 'PUT', url: `ImagingStudy?identifier=urn:dicom:uid|urn:oid:${STUDY_UID}` });
    expect(study.resource.id).toBeUndefined();
    expect(study.resource.contained?.some((r) => r.resourceType === 'Patient')).toBe(false);
  });

  it('creates the Patient only if no Patient has its system|value (never updates one) and links the study to its fullUrl', () => {
    const b = bundle(richStudy());
    const patient = only<Patient>(b, 'Patient');
    expect(patient.request).toEqual({
      method: 'POST',
      url: 'Patient',
      ifNoneExist: 'identifier=urn:oid:1.2.826.0.1.3680043.8.498.7|MRN-12345',
    });
    expect(patient.resource.id).toBeUndefined();
    expect(patient.resource.name?.[0]?.family).toBe('Yamada');
    expect(only<ImagingStudy>(b, 'ImagingStudy').resource.subject).toEqual({ reference: patient.fullUrl });
  });

  it('keeps a Patient whose identifier has no system contained, with its order, and leaves out the Observations with a warning', () => {
    const datasets = [withElements(ctInstance(1), { '00100021': undefined })];
    const conversion = convertStudy(datasets, { format: 'bundle' });
    const b = conversion.resource as Bundle;
    expect(validateR4Bundle(b)).toEqual([]);
    expect(b.entry?.map((e) => e.resource?.resourceType)).toEqual(['ImagingStudy']);
    const study = only<ImagingStudy>(b, 'ImagingStudy').resource;
    expect(study.subject).toEqual({ reference: '#patient.contained.inline' });
    expect(study.contained?.find((r) => r.id === 'patient.contained.inline')).toMatchObject({
      resourceType: 'Patient',
      identifier: [{ value: 'MRN-12345' }],
    });
    expect(study.basedOn).toEqual([{ reference: '#order' }]);
    expect(study.contained?.find((r) => r.id === 'order')).toMatchObject({
      resourceType: 'ServiceRequest',
      subject: { reference: '#patient.contained.inline' },
    });
    expect(conversion.issues.filter((i) => i.code === 'not-published').map((i) => i.message.split(' ')[0])).toEqual(['Body', 'Body']);
  });

  it('keeps a Patient without Patient ID contained', () => {
    const datasets = [withElements(ctInstance(1), { '00100020': undefined })];
    const b = bundle(datasets);
    expect(entriesOf(b, 'Patient')).toEqual([]);
    expect(only<ImagingStudy>(b, 'ImagingStudy').resource.subject).toEqual({ reference: '#patient.contained.inline' });
  });

  it('takes the Patient system from a configured default, the issuer map or the Universal Entity ID of the issuer qualifiers', () => {
    const noIssuer = withElements(ctInstance(1), { '00100021': undefined });
    const query = (ds: Dataset, options: ConvertOptions = {}) => only<Patient>(bundle([ds], options), 'Patient').request?.ifNoneExist;
    expect(query(noIssuer, { patientIdentifierSystem: 'https://hospital.example/mrn' })).toBe('identifier=https://hospital.example/mrn|MRN-12345');
    const named = withElements(ctInstance(1), { '00100021': text('LO', 'HOSP A') });
    expect(query(named, { issuerSystems: { 'HOSP A': 'https://a.example/mrn' }, patientIdentifierSystem: 'https://default.example' })).toBe(
      'identifier=https://a.example/mrn|MRN-12345',
    );
    const qualified = withElements(noIssuer, {
      '00100024': sq({ '00400031': text('UT', 'LOCAL'), '00400032': text('UT', '1.2.3.4.5'), '00400033': text('CS', 'ISO') }),
    });
    expect(query(qualified)).toBe('identifier=urn:oid:1.2.3.4.5|MRN-12345');
    const byLocal = withElements(noIssuer, { '00100024': sq({ '00400031': text('UT', 'LOCAL') }) });
    expect(query(byLocal, { issuerSystems: { LOCAL: 'https://local.example/mrn' } })).toBe('identifier=https://local.example/mrn|MRN-12345');
  });

  it('in existing-patient mode refers to the Patient by a conditional reference and never creates one', () => {
    // A conditional reference (FHIR R4 §3.1.0.11.2) is exactly what the validator's bundle rule flags.
    const b = convertStudy(richStudy(), { format: 'bundle', patientMode: 'existing' }).resource as Bundle;
    expect(validateR4Bundle(b).filter((m) => !m.includes('uses a conditional reference Patient?identifier='))).toEqual([]);
    expect(entriesOf(b, 'Patient')).toEqual([]);
    const subject = { reference: 'Patient?identifier=urn:oid:1.2.826.0.1.3680043.8.498.7|MRN-12345' };
    expect(only<ImagingStudy>(b, 'ImagingStudy').resource.subject).toEqual(subject);
    expect(only<ServiceRequest>(b, 'ServiceRequest').resource.subject).toEqual(subject);
  });

  it('derives the Patient fullUrl from issuer and Patient ID, the same for every study of the patient', () => {
    const other = richStudy().map((ds) => withElements(ds, { '0020000D': text('UI', '1.2.3.4') }));
    expect(only<Patient>(bundle(other), 'Patient').fullUrl).toBe(only<Patient>(bundle(richStudy()), 'Patient').fullUrl);
  });

  it('escapes search separators inside identifier values of conditional URLs', () => {
    const datasets = [withElements(ctInstance(1), { '00100020': text('LO', 'A|B,C&D') })];
    expect(only<Patient>(bundle(datasets), 'Patient').request?.ifNoneExist).toBe(
      'identifier=urn:oid:1.2.826.0.1.3680043.8.498.7|A%5C%7CB%5C%2CC%26D',
    );
  });

  it('carries accession (ACSN), Requested Procedure ID, placer (PLAC) and filler (FILL) numbers and the requested procedure on the ServiceRequest', () => {
    const b = bundle(richStudy());
    const order = only<ServiceRequest>(b, 'ServiceRequest');
    expect(order.request).toEqual({
      method: 'POST',
      url: 'ServiceRequest',
      ifNoneExist: 'identifier=urn:oid:1.2.826.0.1.3680043.8.498.99|ACC-2024-0001',
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

  it('keeps an order whose accession has no system contained, and uses --accession-system when given', () => {
    const datasets = [withElements(ctInstance(1), { '00080051': undefined })];
    const b = bundle(datasets);
    expect(entriesOf(b, 'ServiceRequest')).toEqual([]);
    expect(only<ImagingStudy>(b, 'ImagingStudy').resource.basedOn).toEqual([{ reference: '#order' }]);
    const withSystem = bundle(datasets, { accessionSystem: 'https://ris.example/acc' });
    expect(only<ServiceRequest>(withSystem, 'ServiceRequest').request?.ifNoneExist).toBe('identifier=https://ris.example/acc|ACC-2024-0001');
    const mapped = bundle([withElements(ctInstance(1), { '00080051': sq({ '00400031': text('UT', 'RIS') }) })], {
      issuerSystems: { RIS: 'https://ris.example/mapped' },
    });
    expect(only<ServiceRequest>(mapped, 'ServiceRequest').request?.ifNoneExist).toBe('identifier=https://ris.example/mapped|ACC-2024-0001');
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
    const requests = entriesOf<Observation>(b, 'Observation').map((e) => e.request);
    expect(requests.every((r) => r?.method === 'POST' && /^identifier=urn:ietf:rfc:3986\|urn:uuid:[0-9a-f-]{36}$/.test(r.ifNoneExist ?? ''))).toBe(true);
    expect(new Set(requests.map((r) => r?.ifNoneExist)).size).toBe(2);
  });

  it('has no Observation for a zero weight, and reports it', () => {
    const conversion = convertStudy([withElements(ctInstance(1), { '00101030': text('DS', '0'), '00101020': undefined })], { format: 'bundle' });
    expect((conversion.resource as Bundle).entry?.some((e) => e.resource?.resourceType === 'Observation')).toBe(false);
    expect(conversion.issues.map((i) => i.code)).toContain('invalid-value');
  });

  it('links performers and referrer to contained Practitioners when their identifiers have no system, never matching by name', () => {
    const b = bundle(richStudy());
    expect(entriesOf(b, 'Practitioner')).toEqual([]);
    const study = only<ImagingStudy>(b, 'ImagingStudy').resource;
    expect(study.referrer).toEqual({ reference: '#practitioner-1' });
    expect(study.series?.[0]?.performer?.map((p) => p.actor.reference)).toEqual(['#practitioner-2', '#practitioner-3']);
    expect(JSON.stringify(b)).not.toContain(':exact');
  });

  it('creates Practitioners whose identifier has a system (here from the issuer map) only if absent', () => {
    const b = bundle(richStudy(), { issuerSystems: { '99HOSP': 'https://hospital.example/staff' } });
    const practitioners = entriesOf(b, 'Practitioner');
    expect(practitioners.map((p) => p.request)).toEqual([
      { method: 'POST', url: 'Practitioner', ifNoneExist: 'identifier=https://hospital.example/staff|REF-77' },
      { method: 'POST', url: 'Practitioner', ifNoneExist: 'identifier=https://hospital.example/staff|PERF-1' },
    ]);
    const study = only<ImagingStudy>(b, 'ImagingStudy').resource;
    expect(study.referrer).toEqual({ reference: practitioners[0]?.fullUrl });
    expect(study.series?.[0]?.performer?.map((p) => p.actor.reference)).toEqual([practitioners[1]?.fullUrl, '#practitioner-3']);
  });

  it('keeps every role: a physician who also operated is two performer entries', () => {
    const datasets = [withElements(ctInstance(1), { '00081070': pn('Performer^Paul'), '00081072': sq(personId('PERF-1', '99HOSP')) })];
    const performers = only<ImagingStudy>(bundle(datasets), 'ImagingStudy').resource.series?.[0]?.performer ?? [];
    expect(performers.map((p) => [p.function?.coding?.[0]?.code, p.actor.reference])).toEqual([
      ['PRF', '#practitioner-2'],
      ['SPRF', '#practitioner-2'],
    ]);
  });

  it('adds a DICOMweb Endpoint entry with connection type, address and DICOM payload', () => {
    const b = bundle(richStudy(), { endpoint: DICOMWEB });
    const endpoint = only<Endpoint>(b, 'Endpoint');
    expect(endpoint.request).toEqual({ method: 'POST', url: 'Endpoint', ifNoneExist: 'identifier=urn:ietf:rfc:3986|http://pacs.example/dicom-web' });
    expect(endpoint.resource).toMatchObject({
      connectionType: { code: 'dicom-wado-rs' },
      address: 'http://pacs.example/dicom-web',
      payloadType: [{ coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '113014', display: 'DICOM' }] }],
    });
    expect(only<ImagingStudy>(b, 'ImagingStudy').resource.endpoint).toEqual([{ reference: endpoint.fullUrl }]);
  });

  it('writes just the ImagingStudy, its empty Patient contained, for a study of UIDs only', () => {
    const b = bundle([bareInstance('1.2.1', '1.2.1.1')]);
    expect(b.entry?.map((e) => [e.resource?.resourceType, e.request?.method])).toEqual([['ImagingStudy', 'PUT']]);
  });

  it('never emits a file:// endpoint', () => {
    expect(JSON.stringify(bundle(richStudy()))).not.toContain('file:');
    expect(only<ImagingStudy>(bundle(richStudy()), 'ImagingStudy').resource.endpoint).toBeUndefined();
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
        type: [{ coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '113014', display: 'DICOM' }] }],
        mimeType: ['application/dicom'],
      },
    ]);
    expect(endpoint).not.toHaveProperty('payloadType');
    const order = b.entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')?.resource as ServiceRequestR5;
    expect(order.code?.concept?.coding?.[0]?.code).toBe('RPID4');
  });
});
