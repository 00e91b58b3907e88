import type { ImagingStudy, Patient, Practitioner } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { ConversionError, convertStudy, type ConvertOptions } from './index.js';
import type { Dataset } from '../dicom/dataset.js';
import { validateR4 } from '../../test/support/fhir-validation.js';
import {
  CT_SERIES_UID,
  STUDY_UID,
  bareInstance,
  code,
  ctInstance,
  num,
  personId,
  pn,
  richStudy,
  sq,
  srInstance,
  text,
  withElements,
} from '../../test/support/datasets.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const DAR = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';

function study(datasets: Dataset[], options: ConvertOptions = {}): ImagingStudy {
  const { resource } = convertStudy(datasets, options);
  const errors = validateR4(resource);
  expect(errors).toEqual([]);
  return resource as ImagingStudy;
}

function contained<T>(resource: ImagingStudy, id: string): T {
  const found = resource.contained?.find((c) => c.id === id);
  expect(found, `contained ${id}`).toBeDefined();
  return found as T;
}

function patientOf(datasets: Dataset[], options: ConvertOptions = {}): Patient {
  return contained<Patient>(study(datasets, options), 'patient.contained.inline');
}

describe('convertStudy: study level (SPEC §2.1)', () => {
  it('uses the Study Instance UID as id and as a urn:dicom:uid identifier', () => {
    const result = study(richStudy());
    expect(result.id).toBe(STUDY_UID);
    expect(result.identifier?.[0]).toEqual({ system: 'urn:dicom:uid', value: `urn:oid:${STUDY_UID}` });
  });

  it('uses the UUID v5 of the UID as id with idStrategy uuid, the same on every run', () => {
    const first = study(richStudy(), { idStrategy: 'uuid' });
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(study(richStudy(), { idStrategy: 'uuid' }).id).toBe(first.id);
  });

  it('adds the accession number with its issuer (type ACSN) and the Study ID as secondary identifier', () => {
    const result = study(richStudy());
    expect(result.identifier?.slice(1)).toEqual([
      {
        use: 'usual',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
        system: 'urn:oid:1.2.826.0.1.3680043.8.498.99',
        value: 'ACC-2024-0001',
        assigner: { display: 'RIS' },
      },
      { use: 'secondary', type: { text: 'Study ID' }, value: 'S-42' },
    ]);
  });

  it('is available, with the contained Patient as subject', () => {
    const result = study(richStudy());
    expect(result.status).toBe('available');
    expect(result.subject).toEqual({ reference: '#patient.contained.inline' });
    expect(result.contained?.[0]).toMatchObject({ resourceType: 'Patient', id: 'patient.contained.inline' });
  });

  it('starts at Study Date + Time with the Timezone Offset From UTC, keeping the fraction', () => {
    expect(study(richStudy()).started).toBe('2024-03-15T10:15:30.25+01:00');
  });

  it('takes the offset from the timezone option when the datasets have none', () => {
    const datasets = richStudy().map((ds) => withElements(ds, { '00080201': undefined }));
    expect(study(datasets, { timezone: 'America/New_York' }).started).toBe('2024-03-15T10:15:30.25-04:00');
    expect(study(datasets, { timezone: '+05:30' }).started).toBe('2024-03-15T10:15:30.25+05:30');
  });

  it('prefers the dataset offset over the timezone option', () => {
    expect(study(richStudy(), { timezone: 'America/New_York' }).started).toBe('2024-03-15T10:15:30.25+01:00');
  });

  it('gives the date alone when no offset is known, never a Z', () => {
    const datasets = richStudy().map((ds) => withElements(ds, { '00080201': undefined }));
    const result = study(datasets);
    expect(result.started).toBe('2024-03-15');
    expect(result.series?.[0]?.started).toBe('2024-03-15');
  });

  it('reports a malformed Timezone Offset From UTC once for the whole study', () => {
    const datasets = richStudy().map((ds) => withElements(ds, { '00080201': text('SH', '+1') }));
    const issues = convertStudy(datasets).issues.filter((i) => i.message.startsWith('Timezone Offset'));
    expect(issues).toEqual([{ code: 'invalid-value', message: 'Timezone Offset From UTC (0008,0201) is malformed; ignored' }]);
  });

  it('omits started and reports an invalid Study Date', () => {
    const datasets = richStudy().map((ds) => withElements(ds, { '00080020': text('DA', '2024031') }));
    const conversion = convertStudy(datasets);
    expect((conversion.resource as ImagingStudy).started).toBeUndefined();
    expect(conversion.issues).toContainEqual(expect.objectContaining({ code: 'invalid-value' }));
  });

  it('refers to the order logically by accession identifier, with the requested procedure as display', () => {
    const result = study(richStudy());
    expect(result.basedOn).toEqual([
      {
        type: 'ServiceRequest',
        identifier: result.identifier?.[1],
        display: 'CT chest with IV contrast',
      },
    ]);
  });

  it('has no basedOn without any order data', () => {
    expect(study([bareInstance(CT_SERIES_UID, `${CT_SERIES_UID}.1`)]).basedOn).toBeUndefined();
  });

  it('copies description and names the department as location, else the performed location', () => {
    const result = study(richStudy());
    expect(result.description).toBe('CT Chest with contrast');
    expect(result.location).toEqual({ display: 'Radiology East' });
    const datasets = richStudy().map((ds) =>
      withElements(ds, { '00081040': undefined, '00400243': text('SH', 'Scanner room 3') }),
    );
    expect(study(datasets).location).toEqual({ display: 'Scanner room 3' });
  });

  it('lists each series modality once, sorted, in the DCM system', () => {
    const datasets = [...richStudy(), withElements(ctInstance(9), { '0020000E': text('UI', '1.2.9'), '00200011': num('IS', 3) })];
    expect(study(datasets).modality).toEqual([
      { system: DCM, code: 'CT' },
      { system: DCM, code: 'SR' },
    ]);
  });

  it('counts series and distinct instances', () => {
    const conversion = convertStudy(richStudy());
    const result = conversion.resource as ImagingStudy;
    expect([result.numberOfSeries, result.numberOfInstances]).toEqual([2, 4]);
    expect([conversion.numberOfSeries, conversion.numberOfInstances, conversion.studyInstanceUid]).toEqual([2, 4, STUDY_UID]);
  });

  it('turns Procedure Code Sequence into procedureCode and the reason code sequence into reasonCode', () => {
    const result = study(richStudy());
    expect(result.procedureCode).toEqual([
      { coding: [{ system: 'http://loinc.org', code: '24627-2', display: 'CT Chest' }], text: 'CT Chest' },
    ]);
    expect(result.reasonCode).toEqual([
      { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'R05', display: 'Cough' }], text: 'Cough' },
    ]);
  });

  it('falls back to Reason for the Requested Procedure as text', () => {
    const datasets = richStudy().map((ds) =>
      withElements(ds, { '0040100A': undefined, '00401002': text('LO', 'Persistent cough') }),
    );
    expect(study(datasets).reasonCode).toEqual([{ text: 'Persistent cough' }]);
  });

  it('refers to a contained Practitioner for the referring physician, with name and identifier', () => {
    const result = study(richStudy());
    expect(result.referrer).toEqual({ reference: '#practitioner-1' });
    expect(contained<Practitioner>(result, 'practitioner-1')).toEqual({
      resourceType: 'Practitioner',
      id: 'practitioner-1',
      identifier: [{ value: 'REF-77', assigner: { display: '99HOSP' } }],
      name: [{ text: 'Dr. Rita Referrer', family: 'Referrer', given: ['Rita'], prefix: ['Dr.'] }],
    });
  });

  it('contains a DICOMweb WADO-RS Endpoint for a DICOMweb source', () => {
    const result = study(richStudy(), { endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs.example/dicom-web' } });
    expect(result.endpoint).toEqual([{ reference: '#endpoint' }]);
    expect(contained(result, 'endpoint')).toEqual({
      resourceType: 'Endpoint',
      id: 'endpoint',
      identifier: [{ system: 'urn:ietf:rfc:3986', value: 'http://pacs.example/dicom-web' }],
      status: 'active',
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'dicom-wado-rs' },
      name: 'DICOMweb WADO-RS',
      payloadType: [{ coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '113014', display: 'DICOM' }] }],
      payloadMimeType: ['application/dicom'],
      address: 'http://pacs.example/dicom-web',
    });
  });

  it('has no endpoint when none is given', () => {
    expect(study(richStudy()).endpoint).toBeUndefined();
  });
});

describe('convertStudy: series level (SPEC §2.2)', () => {
  it('maps every series element of the rich CT series', () => {
    const series = study(richStudy()).series?.[0];
    expect(series).toMatchObject({
      uid: CT_SERIES_UID,
      number: 1,
      modality: { system: DCM, code: 'CT' },
      description: 'Axial 1.25mm',
      numberOfInstances: 3,
      bodySite: { system: 'http://snomed.info/sct', code: '43799004', display: 'Chest' },
      laterality: { system: 'http://snomed.info/sct', code: '51440002', display: 'Bilateral' },
      started: '2024-03-15T10:16:00+01:00',
    });
  });

  it('sorts series by number then UID, unnumbered last', () => {
    const datasets = [
      withElements(bareInstance('1.2.30', '1.2.30.1'), { '00200011': num('IS', 2) }),
      withElements(bareInstance('1.2.20', '1.2.20.1'), { '00200011': num('IS', 2) }),
      bareInstance('1.2.05', '1.2.05.1'),
      withElements(bareInstance('1.2.99', '1.2.99.1'), { '00200011': num('IS', 1) }),
    ];
    expect(study(datasets).series?.map((s) => s.uid)).toEqual(['1.2.99', '1.2.20', '1.2.30', '1.2.05']);
  });

  it.each([
    [num('IS', -1)],
    [num('IS', 1.5)],
    [text('IS', 'abc')],
  ])('omits a series number that is not an unsignedInt (%j)', (element) => {
    const datasets = [withElements(bareInstance('1.2.1', '1.2.1.1'), { '00200011': element })];
    expect(study(datasets).series?.[0]?.number).toBeUndefined();
  });

  it('states a missing modality with data-absent-reason and leaves it out of the study modality list', () => {
    const datasets = [bareInstance('1.2.1', '1.2.1.1'), ctInstance(1)];
    const result = study(datasets);
    const bare = result.series?.find((s) => s.uid === '1.2.1');
    expect(bare?.modality).toEqual({ extension: [{ url: DAR, valueCode: 'unknown' }] });
    expect(result.modality).toEqual([{ system: DCM, code: 'CT' }]);
  });

  it('omits the study modality list when no series has a modality', () => {
    expect(study([bareInstance('1.2.1', '1.2.1.1')]).modality).toBeUndefined();
  });

  it('keeps unknown Body Part Examined text as a user-selected code', () => {
    const datasets = [withElements(ctInstance(1), { '00180015': text('CS', 'LEFT PINKY') })];
    expect(study(datasets).series?.[0]?.bodySite).toEqual({ code: 'LEFT PINKY', userSelected: true });
  });

  it('takes Image Laterality when Laterality is absent, and states no laterality for U', () => {
    const image = [withElements(ctInstance(1), { '00200060': undefined, '00200062': text('CS', 'L') })];
    expect(study(image).series?.[0]?.laterality).toEqual({ system: 'http://snomed.info/sct', code: '7771000', display: 'Left' });
    const unpaired = [withElements(ctInstance(1), { '00200060': text('CS', 'U') })];
    expect(study(unpaired).series?.[0]?.laterality).toBeUndefined();
  });

  it('lists the performing physician (PRF) and the operator (SPRF), one Practitioner per person across series', () => {
    const result = study(richStudy());
    const actors = result.series?.map((s) => s.performer?.map((p) => [p.function?.coding?.[0]?.code, p.actor.reference]));
    expect(actors).toEqual([
      [
        ['PRF', '#practitioner-2'],
        ['SPRF', '#practitioner-3'],
      ],
      [['PRF', '#practitioner-2']],
    ]);
    expect(result.contained?.filter((c) => c.resourceType === 'Practitioner')).toHaveLength(3);
    expect(contained<Practitioner>(result, 'practitioner-2').identifier).toEqual([
      { value: 'PERF-1', assigner: { display: '99HOSP' } },
    ]);
  });

  it('gives one Practitioner per value of a multi-valued Performing Physician Name', () => {
    const datasets = [withElements(ctInstance(1), { '00081050': pn('One^Ann', 'Two^Bob'), '00081052': undefined, '00081070': undefined })];
    const result = study(datasets);
    expect(result.series?.[0]?.performer?.map((p) => p.actor.reference)).toEqual(['#practitioner-2', '#practitioner-3']);
  });

  it('refers to specimens logically by identifier with the issuer as system', () => {
    expect(study(richStudy()).series?.[1]?.specimen).toEqual([
      { type: 'Specimen', identifier: { system: 'urn:oid:1.2.3.4.5', value: 'SPEC-1' } },
    ]);
  });

  it('omits instances, but still counts them, with includeInstances false', () => {
    const result = study(richStudy(), { includeInstances: false });
    expect(result.series?.map((s) => [s.numberOfInstances, s.instance])).toEqual([
      [3, undefined],
      [1, undefined],
    ]);
    expect(result.numberOfInstances).toBe(4);
  });
});

describe('convertStudy: instance level (SPEC §2.3)', () => {
  it('maps uid, sopClass, number and Image Type as title', () => {
    expect(study(richStudy()).series?.[0]?.instance?.[0]).toEqual({
      uid: `${CT_SERIES_UID}.1`,
      sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
      number: 1,
      title: 'ORIGINAL\\PRIMARY\\AXIAL',
    });
  });

  it('titles an SR by its Concept Name and an encapsulated document by its Document Title', () => {
    expect(study(richStudy()).series?.[1]?.instance?.[0]?.title).toBe('Diagnostic imaging study');
    const pdf = withElements(srInstance(), { '00420010': text('ST', 'Referral letter') });
    expect(study([pdf]).series?.[0]?.instance?.[0]?.title).toBe('Referral letter');
  });

  it('titles an image by Image Type even when it also has a Concept Name', () => {
    const image = withElements(ctInstance(1), { '0040A043': sq(code('121079', 'DCM', 'Baseline')) });
    expect(study([image]).series?.[0]?.instance?.[0]?.title).toBe('ORIGINAL\\PRIMARY\\AXIAL');
  });

  it('sorts instances by number then UID, unnumbered last', () => {
    const datasets = [ctInstance(10), ctInstance(2), withElements(ctInstance(7), { '00200013': undefined }), ctInstance(1)];
    expect(study(datasets).series?.[0]?.instance?.map((i) => i.uid.split('.').pop())).toEqual(['1', '2', '10', '7']);
  });

  it('counts a duplicated SOP Instance UID once and reports it', () => {
    const conversion = convertStudy([ctInstance(1), ctInstance(2), ctInstance(2), ctInstance(2)]);
    const result = conversion.resource as ImagingStudy;
    expect(result.series?.[0]?.instance?.map((i) => i.uid)).toEqual([`${CT_SERIES_UID}.1`, `${CT_SERIES_UID}.2`]);
    expect([result.numberOfInstances, result.series?.[0]?.numberOfInstances, conversion.numberOfInstances]).toEqual([2, 2, 2]);
    expect(conversion.issues).toEqual([
      { code: 'duplicate-instance', message: `series ${CT_SERIES_UID}: 2 duplicate SOP Instance UID(s) counted once` },
    ]);
  });

  it('skips and reports datasets without Series or SOP Instance UID', () => {
    const conversion = convertStudy([
      ctInstance(1),
      withElements(ctInstance(2), { '0020000E': undefined }),
      withElements(ctInstance(3), { '00080018': text('UI', '') }),
    ]);
    expect(conversion.numberOfInstances).toBe(1);
    expect(conversion.issues.map((i) => i.code)).toEqual(['missing-series-uid', 'missing-sop-instance-uid']);
  });

  it('states a missing SOP Class UID with data-absent-reason (sopClass is required)', () => {
    const datasets = [withElements(bareInstance('1.2.1', '1.2.1.1'), { '00080016': undefined })];
    expect(study(datasets).series?.[0]?.instance?.[0]?.sopClass).toEqual({ extension: [{ url: DAR, valueCode: 'unknown' }] });
  });
});

describe('convertStudy: patient (SPEC §2.4)', () => {
  it('maps every patient element of the rich study', () => {
    expect(patientOf(richStudy())).toEqual({
      resourceType: 'Patient',
      id: 'patient.contained.inline',
      extension: [
        {
          url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
          extension: [{ url: 'text', valueString: 'Not Hispanic' }],
        },
      ],
      identifier: [
        {
          use: 'usual',
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
          system: 'urn:oid:1.2.826.0.1.3680043.8.498.7',
          value: 'MRN-12345',
        },
      ],
      active: true,
      name: [
        { text: 'Mr. Tarou Yamada', family: 'Yamada', given: ['Tarou'], prefix: ['Mr.'] },
        { text: '太郎 山田', family: '山田', given: ['太郎'] },
      ],
      telecom: [
        { system: 'phone', value: '+1 555 0100' },
        { system: 'phone', value: '+1 555 0101' },
      ],
      gender: 'male',
      birthDate: '1970-04-01',
      _birthDate: {
        extension: [
          { url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1970-04-01T08:30:00+01:00' },
        ],
      },
      address: [{ text: '1 Main Street, Springfield' }],
    });
  });

  it('names a plain-text issuer as assigner and uses the configured default system', () => {
    const datasets = [withElements(ctInstance(1), { '00100021': text('LO', 'GENERAL HOSPITAL') })];
    expect(patientOf(datasets, { patientIdentifierSystem: 'http://hospital.example/mrn' }).identifier?.[0]).toMatchObject({
      system: 'http://hospital.example/mrn',
      value: 'MRN-12345',
      assigner: { display: 'GENERAL HOSPITAL' },
    });
  });

  it('prefers the universal entity id of the Issuer of Patient ID Qualifiers Sequence as system', () => {
    const datasets = [
      withElements(ctInstance(1), {
        '00100021': text('LO', 'GH'),
        '00100024': sq({ '00400032': text('UT', '2.16.840.1.113883.3.1'), '00400033': text('CS', 'ISO') }),
      }),
    ];
    expect(patientOf(datasets).identifier?.[0]).toMatchObject({
      system: 'urn:oid:2.16.840.1.113883.3.1',
      value: 'MRN-12345',
      assigner: { display: 'GH' },
    });
  });

  it.each([
    ['M', 'male'],
    ['F', 'female'],
    ['O', 'other'],
    ['', 'unknown'],
    ['Q', 'unknown'],
  ])("maps Patient's Sex %j to %s", (sex, gender) => {
    const element = sex === '' ? { vr: 'CS' } : text('CS', sex);
    expect(patientOf([withElements(ctInstance(1), { '00100040': element })]).gender).toBe(gender);
  });

  it("has no gender when Patient's Sex is absent", () => {
    expect(patientOf([withElements(ctInstance(1), { '00100040': undefined })]).gender).toBeUndefined();
  });

  it('drops an invalid birth date and reports it without its value', () => {
    const conversion = convertStudy([withElements(ctInstance(1), { '00100030': text('DA', '19701341') })]);
    const patient = (conversion.resource as ImagingStudy).contained?.[0] as Patient;
    expect(patient.birthDate).toBeUndefined();
    expect(patient._birthDate).toBeUndefined();
    expect(conversion.issues.map((i) => i.code)).toContain('invalid-value');
    expect(JSON.stringify(conversion.issues)).not.toContain('19701341');
  });

  it('omits the birth time when no offset is known, and says so', () => {
    const conversion = convertStudy([withElements(ctInstance(1), { '00080201': undefined })]);
    expect(((conversion.resource as ImagingStudy).contained?.[0] as Patient)._birthDate).toBeUndefined();
    expect(conversion.issues.map((i) => i.message).join()).toContain('Birth Time');
  });

  it('leaves out a name that has only empty components', () => {
    expect(patientOf([withElements(ctInstance(1), { '00100010': pn('^^^^') })]).name).toBeUndefined();
  });
});

describe('convertStudy: absent DICOM elements', () => {
  it('writes nothing but the required elements for a study of UIDs only, and it is valid R4', () => {
    const result = study([bareInstance('1.2.1', '1.2.1.1')]);
    expect(result).toEqual({
      resourceType: 'ImagingStudy',
      id: STUDY_UID,
      contained: [{ resourceType: 'Patient', id: 'patient.contained.inline', active: true }],
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${STUDY_UID}` }],
      status: 'available',
      subject: { reference: '#patient.contained.inline' },
      numberOfSeries: 1,
      numberOfInstances: 1,
      series: [
        {
          uid: '1.2.1',
          modality: { extension: [{ url: DAR, valueCode: 'unknown' }] },
          numberOfInstances: 1,
          instance: [{ uid: '1.2.1.1', sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:1.2.840.10008.5.1.4.1.1.2` } }],
        },
      ],
    });
  });

  it('treats empty and whitespace-only values as absent', () => {
    const datasets = [
      withElements(bareInstance('1.2.1', '1.2.1.1'), {
        '00081030': text('LO', '   '),
        '00080050': { vr: 'SH' },
        '00100010': { vr: 'PN', Value: [{ Alphabetic: '' }] },
        '00081032': sq({}),
      }),
    ];
    const result = study(datasets);
    expect([result.description, result.basedOn, result.procedureCode, result.identifier?.length]).toEqual([
      undefined,
      undefined,
      undefined,
      1,
    ]);
  });
});

describe('convertStudy: errors', () => {
  it('rejects an empty list with no-datasets', () => {
    expect(() => convertStudy([])).toThrow(expect.objectContaining({ code: 'no-datasets' }));
  });

  it('rejects datasets of several studies, naming each UID with its count', () => {
    const other = withElements(ctInstance(5), { '0020000D': text('UI', '1.2.3') });
    let error: unknown;
    try {
      convertStudy([ctInstance(1), ctInstance(2), other]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConversionError);
    expect(error).toMatchObject({ code: 'multiple-studies' });
    expect((error as Error).message).toContain(`${STUDY_UID} (2)`);
    expect((error as Error).message).toContain('1.2.3 (1)');
  });

  it('rejects datasets without Study Instance UID with missing-study-uid', () => {
    const datasets = [ctInstance(1), withElements(ctInstance(2), { '0020000D': undefined })];
    expect(() => convertStudy(datasets)).toThrow(expect.objectContaining({ code: 'missing-study-uid' }));
  });

  it('rejects an unknown time zone option instead of guessing', () => {
    expect(() => convertStudy(richStudy(), { timezone: 'Nowhere/Land' })).toThrow(RangeError);
  });
});

describe('convertStudy: code sequences (SPEC §2.7)', () => {
  it('keeps an unknown coding scheme designator out of system', () => {
    const datasets = [withElements(ctInstance(1), { '00081032': sq(code('CTC1', '99ACME', 'CT chest local')) })];
    expect(study(datasets).procedureCode).toEqual([
      { coding: [{ code: 'CTC1', display: 'CT chest local' }], text: 'CT chest local (99ACME:CTC1)' },
    ]);
  });
});


describe('convertStudy: practitioners', () => {
  it('makes one Practitioner of people with the same identifier, whatever the spelling of the name', () => {
    const datasets = [
      withElements(ctInstance(1), {
        '00080090': pn('Performer^P'),
        '00080096': sq(personId('PERF-1', '99HOSP')),
        '00081070': undefined,
      }),
    ];
    const result = study(datasets);
    expect(result.referrer).toEqual({ reference: '#practitioner-1' });
    expect(result.series?.[0]?.performer?.map((p) => p.actor.reference)).toEqual(['#practitioner-1']);
    expect(result.contained?.filter((c) => c.resourceType === 'Practitioner')).toHaveLength(1);
  });

  it('keeps people with the same name but different identifiers apart', () => {
    const datasets = [
      withElements(ctInstance(1), {
        '00080090': pn('Performer^Paul'),
        '00080096': sq(personId('OTHER-9', '99HOSP')),
        '00081070': undefined,
      }),
    ];
    expect(study(datasets).series?.[0]?.performer?.map((p) => p.actor.reference)).toEqual(['#practitioner-2']);
  });
});
