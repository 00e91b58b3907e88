import type { BundleEntry, ImagingStudy, Patient, Practitioner } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import type { StoredStudy } from '../bridge/types.js';
import { storedStudyBundle } from './stored-study-bundle.js';

const UID = '1.2.826.0.1.3680043.10.6.1';
const resource: ImagingStudy = {
  resourceType: 'ImagingStudy',
  id: UID,
  meta: { versionId: '3', lastUpdated: '2026-01-01T00:00:00Z' },
  contained: [
    { resourceType: 'Patient', id: 'patient.contained.inline', identifier: [{ system: 'urn:oid:1.2.3', value: 'P|1' }], active: true } as Patient,
    { resourceType: 'Practitioner', id: 'referrer-1', name: [{ family: 'Who' }] } as Practitioner,
    { resourceType: 'Practitioner', id: 'performer-1', identifier: [{ value: 'D42' }] } as Practitioner,
  ],
  identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${UID}` }],
  status: 'available',
  subject: { reference: '#patient.contained.inline' },
  referrer: { reference: '#referrer-1' },
  basedOn: [{ type: 'ServiceRequest', identifier: { value: 'ACC-1' } }],
  series: [{ uid: '1.2.3.4', modality: { code: 'CT' }, performer: [{ actor: { reference: '#performer-1' } }] }],
};
const study: StoredStudy = { id: UID, studyInstanceUid: UID, versionId: 3, lastUpdated: '2026-01-01T00:00:00Z', deleted: false, resource };

describe('storedStudyBundle', () => {
  const bundle = storedStudyBundle(study);
  const entries = bundle.entry as BundleEntry[];

  it('makes a transaction with one entry per contained resource and the ImagingStudy last', () => {
    expect(bundle.type).toBe('transaction');
    expect(entries.map((e) => e.resource?.resourceType)).toEqual(['Patient', 'Practitioner', 'Practitioner', 'ImagingStudy']);
  });

  it('writes each resource conditionally by its identifier, escaping the search value', () => {
    expect(entries.map((e) => e.request)).toEqual([
      { method: 'PUT', url: 'Patient?identifier=urn:oid:1.2.3|P%5C%7C1' },
      { method: 'POST', url: 'Practitioner' },
      { method: 'POST', url: 'Practitioner', ifNoneExist: 'identifier=D42' },
      { method: 'PUT', url: `ImagingStudy?identifier=urn:dicom:uid|urn:oid:${UID}` },
    ]);
  });

  it('points the local references at the entries and drops contained, ids and meta', () => {
    const [patient, referrer, performer, imaging] = entries;
    const out = imaging?.resource as ImagingStudy;
    expect(out.subject.reference).toBe(patient?.fullUrl);
    expect(out.referrer?.reference).toBe(referrer?.fullUrl);
    expect(out.series?.[0]?.performer?.[0]?.actor.reference).toBe(performer?.fullUrl);
    expect(out.basedOn).toEqual(resource.basedOn);
    expect(out).not.toHaveProperty('contained');
    expect(out).not.toHaveProperty('id');
    expect(out).not.toHaveProperty('meta');
    expect(entries.every((e) => e.resource?.id === undefined && /^urn:uuid:[0-9a-f-]{36}$/.test(e.fullUrl ?? ''))).toBe(true);
  });

  it('gives the same Bundle for the same study', () => {
    expect(storedStudyBundle(study)).toEqual(bundle);
  });

  it('refuses a tombstone', () => {
    expect(() => storedStudyBundle({ ...study, deleted: true, resource: undefined })).toThrow(`study ${UID} version 3 has no resource (deleted)`);
  });
});
