import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../dicom/dataset.js';
import { designatorToSystem, toCodeableConcept, toCodeableConcepts } from './coding.js';

function item(fields: { value?: string; long?: string; urn?: string; scheme?: string; meaning?: string; version?: string }): Dataset {
  const ds: Dataset = {};
  if (fields.value !== undefined) ds['00080100'] = { vr: 'SH', Value: [fields.value] };
  if (fields.long !== undefined) ds['00080119'] = { vr: 'UC', Value: [fields.long] };
  if (fields.urn !== undefined) ds['00080120'] = { vr: 'UR', Value: [fields.urn] };
  if (fields.scheme !== undefined) ds['00080102'] = { vr: 'SH', Value: [fields.scheme] };
  if (fields.version !== undefined) ds['00080103'] = { vr: 'SH', Value: [fields.version] };
  if (fields.meaning !== undefined) ds['00080104'] = { vr: 'LO', Value: [fields.meaning] };
  return ds;
}

describe('designatorToSystem', () => {
  it.each([
    ['SCT', 'http://snomed.info/sct'],
    ['SRT', 'http://snomed.info/sct'],
    ['LN', 'http://loinc.org'],
    ['DCM', 'http://dicom.nema.org/resources/ontology/DCM'],
    ['RADLEX', 'http://radlex.org'],
    ['UCUM', 'http://unitsofmeasure.org'],
    ['I10', 'http://hl7.org/fhir/sid/icd-10'],
    ['http://example.org/codes', 'http://example.org/codes'],
    ['urn:oid:1.2.3', 'urn:oid:1.2.3'],
    ['99LOCAL', undefined],
    ['L', undefined],
    [undefined, undefined],
  ])('maps designator %j to system %j', (designator, expected) => {
    expect(designatorToSystem(designator)).toBe(expected);
  });
});

describe('toCodeableConcept', () => {
  it.each([
    [item({ value: '77477000', scheme: 'SCT', meaning: 'CT' }), { coding: [{ system: 'http://snomed.info/sct', code: '77477000', display: 'CT' }], text: 'CT' }],
    [item({ value: '24627-2', scheme: 'LN', meaning: 'Chest CT', version: '2.73' }), { coding: [{ system: 'http://loinc.org', version: '2.73', code: '24627-2', display: 'Chest CT' }], text: 'Chest CT' }],
    [item({ long: 'A-VERY-LONG-CODE-VALUE-ABOVE-16', scheme: 'DCM', meaning: 'Long' }), { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'A-VERY-LONG-CODE-VALUE-ABOVE-16', display: 'Long' }], text: 'Long' }],
    [item({ urn: 'urn:example:code:1', meaning: 'By URN' }), { coding: [{ code: 'urn:example:code:1', display: 'By URN' }], text: 'By URN' }],
    [item({ value: 'CTCHEST', scheme: '99LOCAL', meaning: 'CT chest' }), { coding: [{ code: 'CTCHEST', display: 'CT chest' }], text: 'CT chest (99LOCAL:CTCHEST)' }],
    [item({ value: 'CTCHEST', scheme: '99LOCAL' }), { coding: [{ code: 'CTCHEST' }], text: '99LOCAL:CTCHEST' }],
    [item({ value: 'X' }), { coding: [{ code: 'X' }] }],
    [item({ meaning: 'Only words' }), { text: 'Only words' }],
    [item({}), undefined],
  ])('turns code item %j into %j', (ds, expected) => {
    expect(toCodeableConcept(ds)).toEqual(expected);
  });

  it('skips items without code or meaning in a sequence', () => {
    expect(toCodeableConcepts([item({}), item({ meaning: 'kept' })])).toEqual([{ text: 'kept' }]);
  });
});
