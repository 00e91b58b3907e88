/**
 * SPEC §2.7 against a real FHIR engine (Medplum's router and in-memory repository): every identity
 * rule of the Bundle form and of the read-before-write checks of `postBundle` (the `--post`
 * path), each with its counter-case.
 */
import type { Bundle, ImagingStudy, Observation, Patient, Resource, ServiceRequest } from 'fhir/r4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { convertStudy, type ConvertOptions } from '../../src/convert/index.js';
import type { Dataset } from '../../src/dicom/dataset.js';
import { IdentityRefusal } from '../../src/push/identity-refusal.js';
import { postBundle } from '../../src/push/post-bundle.js';
import type { IdentityCheckOptions } from '../../src/push/identity-check.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { STUDY_UID, ctInstance, personId, pn, richStudy, sq, text, withElements } from '../support/datasets.js';

const SYSTEM = 'urn:oid:1.2.826.0.1.3680043.8.498.7';
const MRN = 'MRN-12345';
const TYPES = ['Patient', 'Practitioner', 'Endpoint', 'ServiceRequest', 'Observation', 'ImagingStudy'] as const;

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

function bundleOf(datasets: Dataset[], options: ConvertOptions = {}): Bundle {
  return convertStudy(datasets, { ...options, format: 'bundle' }).resource as Bundle;
}

async function post(datasets: Dataset[], options: ConvertOptions = {}, identity: IdentityCheckOptions = {}): Promise<Bundle> {
  return postBundle(bundleOf(datasets, options), { url: server.baseUrl, retries: 0, identity });
}

async function refusal(promise: Promise<unknown>): Promise<IdentityRefusal> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdentityRefusal);
  return error as IdentityRefusal;
}

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const type of TYPES) out[type] = (await server.search(type)).length;
  return out;
}

async function create<T extends Resource>(resource: T): Promise<T> {
  // Medplum's repository is typed with its own FHIR types; the resource is plain R4 JSON.
  return (await server.repository.createResource(resource as never)) as unknown as T;
}

async function studies(): Promise<ImagingStudy[]> {
  return server.search<ImagingStudy>('ImagingStudy');
}

/** The rich study as another study (own Study UID) of the same or another patient. */
function study(uid: string, changes: Record<string, Dataset[keyof Dataset] | undefined> = {}): Dataset[] {
  return richStudy().map((ds) => withElements(ds, { '0020000D': text('UI', uid), ...changes }));
}

describe('Patient (SPEC §2.7)', () => {
  it('never links a Patient with the same value under another system, and leaves it untouched', async () => {
    const other = await create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'http://other-hospital/mrn', value: MRN }], birthDate: '1950-01-01' });
    await post(richStudy());
    const [after] = await server.search<Patient>('Patient', { _id: other.id as string });
    expect(after).toEqual(other);
    const [imaging] = await studies();
    expect(imaging?.subject.reference).not.toBe(`Patient/${other.id}`);
    expect(await server.search('Patient')).toHaveLength(2);
  });

  it('links an existing Patient with the same system|value and does not modify it (whole resource compared)', async () => {
    const hospital = await create<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: SYSTEM, value: MRN }],
      name: [{ family: 'Hospital-Record', given: ['Kept'] }],
      telecom: [{ system: 'email', value: 'kept@example.org' }],
      maritalStatus: { text: 'married' },
      birthDate: '1970',
      gender: 'male',
    });
    const response = await post(richStudy());
    expect(response.entry?.some((e) => e.response?.location?.startsWith('Patient/'))).toBe(false);
    const [after] = await server.search<Patient>('Patient', { _id: hospital.id as string });
    expect(after).toEqual(hospital);
    expect((await studies())[0]?.subject.reference).toBe(`Patient/${hospital.id}`);
    expect(await server.search('Patient')).toHaveLength(1);
  });

  it('refuses a birth-date conflict at the coarser precision, naming the field, and links nothing', async () => {
    await create<Patient>({ resourceType: 'Patient', identifier: [{ system: SYSTEM, value: MRN }], birthDate: '1971' });
    const error = await refusal(post(richStudy()));
    expect(error.code).toBe('patient-demographics-conflict');
    expect(error.message).toContain('birth date');
    expect(error.message).not.toContain('1971');
    expect(error.message).not.toContain(MRN);
    expect(await counts()).toMatchObject({ Patient: 1, ImagingStudy: 0, ServiceRequest: 0, Observation: 0 });
  });

  it('refuses a sex conflict and links nothing', async () => {
    await create<Patient>({ resourceType: 'Patient', identifier: [{ system: SYSTEM, value: MRN }], gender: 'female' });
    const error = await refusal(post(richStudy()));
    expect(error.code).toBe('patient-demographics-conflict');
    expect(error.message).toContain('sex');
    expect(error.message).not.toContain('birth date');
    expect(await studies()).toHaveLength(0);
  });

  it('in existing mode links a matching Patient and never creates one', async () => {
    const error = await refusal(post(richStudy(), {}, { patientMode: 'existing' }));
    expect(error.code).toBe('patient-not-found');
    expect(await counts()).toEqual({ Patient: 0, Practitioner: 0, Endpoint: 0, ServiceRequest: 0, Observation: 0, ImagingStudy: 0 });

    const registered = await create<Patient>({ resourceType: 'Patient', identifier: [{ system: SYSTEM, value: MRN }] });
    await post(richStudy(), {}, { patientMode: 'existing' });
    expect((await studies())[0]?.subject.reference).toBe(`Patient/${registered.id}`);
    expect(await server.search('Patient')).toHaveLength(1);
  });

  it('posts a study without Patient ID twice without creating any Patient', async () => {
    const datasets = richStudy().map((ds) => withElements(ds, { '00100020': undefined }));
    await post(datasets);
    await post(datasets);
    expect(await counts()).toEqual({ Patient: 0, Practitioner: 0, Endpoint: 0, ServiceRequest: 0, Observation: 0, ImagingStudy: 1 });
    expect((await studies())[0]?.subject.reference).toBe('#patient.contained.inline');
  });
});

describe('orders (SPEC §2.6, §2.7)', () => {
  const patientB = { '00100020': text('LO', 'MRN-B'), '00100010': pn('Other^Person'), '00100030': text('DA', '19800101') };

  it('never shares an order between two patients whose accessions are both "2", without accession system', async () => {
    const noIssuer = { '00080050': text('SH', '2'), '00080051': undefined };
    await post(study('1.2.3.1', noIssuer));
    await post(study('1.2.3.2', { ...noIssuer, ...patientB }));
    expect(await server.search('ServiceRequest')).toHaveLength(0);
    const all = await studies();
    expect(all.map((s) => s.basedOn?.[0]?.reference)).toEqual(['#order', '#order']);
    for (const s of all) {
      const order = s.contained?.find((r) => r.id === 'order') as ServiceRequest;
      expect(order.subject.reference).toBe(s.subject.reference);
    }
  });

  it("refuses to link a study to another patient's order with the same accession system|value", async () => {
    const shared = { '00080050': text('SH', '2') };
    await post(study('1.2.3.1', shared));
    const error = await refusal(post(study('1.2.3.2', { ...shared, ...patientB })));
    expect(error.code).toBe('order-of-other-patient');
    const orders = await server.search<ServiceRequest>('ServiceRequest');
    expect(orders).toHaveLength(1);
    expect(await studies()).toHaveLength(1);
    const [patientA] = await server.search<Patient>('Patient', { identifier: `${SYSTEM}|${MRN}` });
    expect(orders[0]?.subject.reference).toBe(`Patient/${patientA?.id}`);
  });

  it("links the same patient's second study to its existing order", async () => {
    await post(study('1.2.3.1'));
    await post(study('1.2.3.2'));
    const [order] = await server.search<ServiceRequest>('ServiceRequest');
    expect(await server.search('ServiceRequest')).toHaveLength(1);
    expect((await studies()).map((s) => s.basedOn?.[0]?.reference)).toEqual([`ServiceRequest/${order?.id}`, `ServiceRequest/${order?.id}`]);
  });
});

describe('Practitioners (SPEC §2.7)', () => {
  it('keeps three same-family doctors apart: no 412, no merge, nothing matched by name', async () => {
    const doctors = ['Riesmeier^Joerg', 'Riesmeier^Anna', 'Riesmeier'];
    for (const [i, name] of doctors.entries()) {
      await post(study(`1.2.3.${i + 1}`, { '00080090': pn(name), '00080096': undefined }));
    }
    expect(await server.search('Practitioner')).toHaveLength(0);
    const referrers = (await studies()).map((s) => {
      const id = s.referrer?.reference?.slice(1);
      return JSON.stringify((s.contained?.find((r) => r.id === id) as { name?: unknown }).name);
    });
    expect(new Set(referrers).size).toBe(3);
    expect(server.requests.some((r) => decodeURIComponent(r.url).includes(':exact'))).toBe(false);
  });

  it('creates a Practitioner with a system-qualified identifier once and links it from every study', async () => {
    const options = { issuerSystems: { '99HOSP': 'https://hospital.example/staff' } };
    await post(study('1.2.3.1'), options);
    await post(study('1.2.3.2'), options);
    expect(await server.search('Practitioner')).toHaveLength(2);
  });
});

describe('Observations and re-posting (SPEC §2.4, §2.7)', () => {
  it('creates weight and height once with a server Patient, and none without one', async () => {
    await post(richStudy());
    await post(richStudy());
    const observations = await server.search<Observation>('Observation');
    expect(observations.map((o) => o.code.coding?.[0]?.code).sort()).toEqual(['29463-7', '8302-2']);

    server.repository.clear();
    await post(richStudy().map((ds) => withElements(ds, { '00100021': undefined })));
    expect(await server.search('Observation')).toHaveLength(0);
  });

  it('re-posting every study changes no resource count', async () => {
    const options = { endpoint: { kind: 'dicomweb' as const, baseUrl: 'https://pacs.example/dicom-web' }, issuerSystems: { '99HOSP': 'https://hospital.example/staff' } };
    const all = [study('1.2.3.1'), study('1.2.3.2', { '00100020': text('LO', 'MRN-B'), '00100030': text('DA', '19800101'), '00080050': text('SH', 'ACC-B') }), study('1.2.3.3', { '00100020': undefined })];
    for (const datasets of all) await post(datasets, options);
    const before = await counts();
    for (const datasets of all) await post(datasets, options);
    expect(await counts()).toEqual(before);
    expect(before).toEqual({ Patient: 2, Practitioner: 2, Endpoint: 1, ServiceRequest: 2, Observation: 4, ImagingStudy: 3 });
  });
});

describe('ImagingStudy subject (SPEC §2.7)', () => {
  it('refuses to move a study the server links to another patient, then applies it when a person confirms', async () => {
    await post(richStudy());
    const [patientA] = await server.search<Patient>('Patient');
    // The corrected study names patient B and B's order (an order stays its patient's: SPEC §2.7).
    const corrected = richStudy().map((ds) =>
      withElements(ds, { '00100020': text('LO', 'MRN-B'), '00100030': text('DA', '19800101'), '00080050': text('SH', 'ACC-B') }),
    );
    const error = await refusal(post(corrected));
    expect(error.code).toBe('study-of-other-patient');
    expect((await studies())[0]?.subject.reference).toBe(`Patient/${patientA?.id}`);

    await post(corrected, {}, { allowSubjectChange: true });
    const [patientB] = await server.search<Patient>('Patient', { identifier: `${SYSTEM}|MRN-B` });
    const after = await studies();
    expect(after).toHaveLength(1);
    expect(after[0]?.subject.reference).toBe(`Patient/${patientB?.id}`);
    expect(after[0]?.identifier?.[0]?.value).toBe(`urn:oid:${STUDY_UID}`);
  });

  it('also refuses a contained patient replaced by another contained patient', async () => {
    const noSystem = (id: string): Dataset[] => [withElements(ctInstance(1), { '00100021': undefined, '00100020': text('LO', id), '00100024': sq() })];
    await post(noSystem('A'));
    const error = await refusal(post(noSystem('B')));
    expect(error.code).toBe('study-of-other-patient');
    await post(noSystem('A'));
  });
});

describe('studies over a server transaction limit (Medplum: 8 conditional entries)', () => {
  const staff = { '99HOSP': 'https://hospital.example/staff' };
  const options: ConvertOptions = { issuerSystems: staff, endpoint: { kind: 'dicomweb', baseUrl: 'https://pacs.example/dicom-web' } };
  /** Five physicians with system-qualified identifiers: 11 entries in all. */
  function crowded(): Dataset[] {
    return richStudy().map((ds) =>
      withElements(ds, {
        '00081050': pn('Alpha^Ann', 'Beta^Ben', 'Gamma^Gil'),
        '00081052': sq(personId('PERF-A', '99HOSP'), personId('PERF-B', '99HOSP'), personId('PERF-C', '99HOSP')),
        '00081070': pn('Operator^Olga'),
        '00081072': sq(personId('OP-1', '99HOSP')),
      }),
    );
  }

  it('is refused by the engine as one transaction, and sent in dependent steps by postBundle, every reference resolved', async () => {
    const bundle = bundleOf(crowded(), options);
    expect(bundle.entry).toHaveLength(11);
    const whole = await fetch(server.baseUrl, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
    expect(whole.status).toBe(400);
    expect(await counts()).toEqual({ Patient: 0, Practitioner: 0, Endpoint: 0, ServiceRequest: 0, Observation: 0, ImagingStudy: 0 });

    await post(crowded(), options);
    const expected = { Patient: 1, Practitioner: 5, Endpoint: 1, ServiceRequest: 1, Observation: 2, ImagingStudy: 1 };
    expect(await counts()).toEqual(expected);
    const [study] = await studies();
    const references = JSON.stringify(study);
    expect(references).not.toContain('urn:uuid:');
    const practitionerIds = new Set((await server.search('Practitioner')).map((p) => `Practitioner/${p.id}`));
    expect(study?.series?.[0]?.performer?.every((p) => practitionerIds.has(p.actor.reference ?? ''))).toBe(true);
    for (const o of await server.search<Observation>('Observation')) expect(o.partOf?.[0]?.reference).toBe(`ImagingStudy/${study?.id}`);

    await post(crowded(), options);
    expect(await counts()).toEqual(expected);
  });
});
