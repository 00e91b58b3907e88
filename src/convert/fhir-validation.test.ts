import type { ImagingStudy } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { convertStudy } from './index.js';
import { validateR4, validateR4Bundle } from '../../test/support/fhir-validation.js';
import { richStudy } from '../../test/support/datasets.js';

const validPatient = { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1970-01-01' };

describe('validateR4', () => {
  it('accepts a valid resource', () => {
    expect(validateR4(validPatient)).toEqual([]);
  });

  it('catches an empty string', () => {
    expect(validateR4({ ...validPatient, name: [{ family: '' }] })).toEqual(
      expect.arrayContaining(['rule: Patient.name[0].family is an empty string']),
    );
  });

  it('catches empty arrays and objects', () => {
    expect(validateR4({ ...validPatient, name: [], address: [{}] })).toEqual(
      expect.arrayContaining(['rule: Patient.name is an empty array', 'rule: Patient.address[0] is an empty object']),
    );
  });

  it('catches a dateTime with a time but no offset', () => {
    const errors = validateR4({
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: { reference: 'Patient/p1' },
      started: '2024-01-02T10:11:12',
    });
    expect(errors).toContain('rule: ImagingStudy.started has a time but no UTC offset: 2024-01-02T10:11:12');
    expect(errors.some((e) => e.startsWith('schema: ImagingStudy.started'))).toBe(true);
  });

  it('catches a gender outside the required value set', () => {
    expect(validateR4({ ...validPatient, gender: 'mal' })).toContain('fhir: Patient.gender Code "mal" not found in value set');
  });

  it('catches an id that is not a FHIR id', () => {
    expect(validateR4({ ...validPatient, id: 'has space' })).toContain('rule: Patient.id is not a valid FHIR id: has space');
  });

  it('catches a contained resource nobody references and a dangling #reference', () => {
    const errors = validateR4({
      resourceType: 'ImagingStudy',
      contained: [{ ...validPatient, id: 'pat' }],
      status: 'available',
      subject: { reference: '#other' },
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        'rule: reference #other has no contained resource',
        'rule: contained Patient/pat is not referenced',
      ]),
    );
  });

  it('catches missing required elements (the schema misses required primitives, the fhir package not)', () => {
    expect(validateR4({ resourceType: 'ImagingStudy', status: 'available' })).toEqual([
      "schema: ImagingStudy should have required property 'subject'",
      'fhir: ImagingStudy.subject Missing property',
    ]);
    expect(validateR4({ resourceType: 'ImagingStudy', subject: { reference: 'Patient/p1' } })).toEqual([
      'fhir: ImagingStudy.status Missing property',
    ]);
  });
});

describe('validateR4Bundle', () => {
  it('accepts the converter transaction Bundle', () => {
    expect(validateR4Bundle(convertStudy(richStudy(), { format: 'bundle' }).resource)).toEqual([]);
  });

  it('catches a reference to a urn:uuid that is no entry, and an entry without request', () => {
    const errors = validateR4Bundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:6ba7b811-9dad-11d1-80b4-00c04fd430c8',
          resource: { resourceType: 'ImagingStudy', status: 'available', subject: { reference: 'urn:uuid:00000000-0000-5000-8000-000000000000' } },
        },
      ],
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        'bundle: entry[0] references urn:uuid:00000000-0000-5000-8000-000000000000, which is no entry',
        'bundle: entry[0] has no request method and url',
      ]),
    );
  });

  it('catches a study reference by conditional URL', () => {
    const study = convertStudy(richStudy(), { format: 'bundle' }).resource as unknown as { entry: { resource: ImagingStudy }[] };
    const last = study.entry[study.entry.length - 1];
    if (last !== undefined) last.resource.subject = { reference: 'Patient?identifier=x' };
    expect(validateR4Bundle(study).some((e) => e.includes('conditional reference Patient?identifier=x'))).toBe(true);
  });
});
