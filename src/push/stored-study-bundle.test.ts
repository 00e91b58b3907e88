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
    { resourceType: 'Practitioner', id: 'practitioner-1', name: [{ family: 'Who' }] } as Practitioner,
    { resourceType: 'Practitioner', id: 'practitioner-2', identifier: [{ value: 'D42' }] } as Practitioner,
    { resourceType: 'Practitioner', id: 'practitioner-3', identifier: [{ system: 'https://staff.example', value: 'D43' }] } as Practitioner,
  ],
  identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${UID}` }],
  status: 'available',
  subject: { reference: '#patient.contained.inline' },
  referrer: { reference: '#practitioner-1' },
  basedOn: [{ type: 'ServiceRequest', identifier: { value: 'ACC-1' } }],
  series: [
    {
      uid: '1.2.3.4',
      modality: { code: 'CT' },
      performer: [{ actor: { reference: '#practitioner-2' } }, { actor: { reference: '#practitioner-3' } }],
    },
  ],
};
const study: StoredStudy = { id: UID, studyInstanceUid: UID, versionId: 3, lastUpdated: '2026-01-01T00:00:00Z', deleted: false, resource };

describe('storedStudyBundle (SPEC §2.7)', () => {
  const bundle = storedStudyBundle(study);
  const entries = bundle.entry as BundleEntry[];

  it('makes entries only of contained resources with a system-qualified identifier, the ImagingStudy last', () => {
    expect(bundle.type).toBe('transaction');
    expect(entries.map((e) => e.resource?.resourceType)).toEqual(['Patient', 'Practitioner', 'ImagingStudy']);
  });

  it('creates them only if absent, escaping the search value, and updates the ImagingStudy by its UID', () => {
    expect(entries.map((e) => e.request)).toEqual([
      { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:oid:1.2.3|P%5C%7C1' },
      { method: 'POST', url: 'Practitioner', ifNoneExist: 'identifier=https://staff.example|D43' },
      { method: 'PUT', url: `ImagingStudy?identifier=urn:dicom:uid|urn:oid:${UID}` },
    ]);
  });

  it('keeps name-only and system-less Practitioners contained and points moved references at the entries', () => {
    const [patient, practitioner, imaging] = entries;
    const out = imaging?.resource as ImagingStudy;
    expect(out.subject.reference).toBe(patient?.fullUrl);
    expect(out.referrer?.reference).toBe('#practitioner-1');
    expect(out.series?.[0]?.performer?.map((p) => p.actor.reference)).toEqual(['#practitioner-2', practitioner?.fullUrl]);
    expect(out.contained?.map((r) => r.id)).toEqual(['practitioner-1', 'practitioner-2']);
    expect(out.basedOn).toEqual(resource.basedOn);
    expect(out).not.toHaveProperty('id');
    expect(out).not.toHaveProperty('meta');
    expect(entries.every((e) => e.resource?.resourceType === 'ImagingStudy' || e.resource?.id === undefined)).toBe(true);
  });

  it('keeps a Patient without system contained', () => {
    const bare = structuredClone(resource);
    (bare.contained?.[0] as Patient).identifier = [{ value: 'P1' }];
    const out = storedStudyBundle({ ...study, resource: bare });
    expect(out.entry?.map((e) => e.resource?.resourceType)).toEqual(['Practitioner', 'ImagingStudy']);
    expect((out.entry?.at(-1)?.resource as ImagingStudy).subject.reference).toBe('#patient.contained.inline');
  });

  it('gives the same Bundle for the same study', () => {
    expect(storedStudyBundle(study)).toEqual(bundle);
  });

  it('refuses a tombstone', () => {
    expect(() => storedStudyBundle({ ...study, deleted: true, resource: undefined })).toThrow(`study ${UID} version 3 has no resource (deleted)`);
  });
});
