import type { Bundle, BundleEntry, ImagingStudy, Patient } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { combineOutputs } from './combine-outputs.js';
import type { Conversion } from '../convert/options.js';

const study = (uid: string): ImagingStudy => ({ resourceType: 'ImagingStudy', id: uid, status: 'available', subject: { reference: '#p' } });

function conversion(uid: string, resource: Conversion['resource']): Conversion {
  return { resource, studyInstanceUid: uid, numberOfSeries: 1, numberOfInstances: 1, issues: [] };
}

function transaction(entries: BundleEntry[]): Bundle {
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

const patient: BundleEntry = { fullUrl: 'urn:uuid:p', resource: { resourceType: 'Patient', id: 'p' }, request: { method: 'PUT', url: 'Patient?identifier=x' } };

describe('combineOutputs', () => {
  it('puts one ImagingStudy per study into a collection Bundle, in the given order', () => {
    const { json, conflicts } = combineOutputs([conversion('1.1', study('1.1')), conversion('1.2', study('1.2'))], 'imagingstudy');
    expect(json).toEqual({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: study('1.1') }, { resource: study('1.2') }] });
    expect(conflicts).toEqual([]);
  });

  it('merges transaction Bundles into one, keeping a shared Patient entry once', () => {
    const s1: BundleEntry = { fullUrl: 'urn:uuid:s1', resource: study('1.1') };
    const s2: BundleEntry = { fullUrl: 'urn:uuid:s2', resource: study('1.2') };
    const { json, conflicts } = combineOutputs(
      [conversion('1.1', transaction([patient, s1])), conversion('1.2', transaction([patient, s2]))],
      'bundle',
    );
    expect(json).toEqual({ resourceType: 'Bundle', type: 'transaction', entry: [patient, s1, s2] });
    expect(conflicts).toEqual([]);
  });

  it('keeps the first of two different entries with one fullUrl and reports the fullUrl', () => {
    const other: BundleEntry = { ...patient, resource: { resourceType: 'Patient', id: 'p', gender: 'male' } as Patient };
    const { json, conflicts } = combineOutputs([conversion('1.1', transaction([patient])), conversion('1.2', transaction([other]))], 'bundle');
    expect((json as Bundle).entry).toEqual([patient]);
    expect(conflicts).toEqual(['urn:uuid:p']);
  });
});
