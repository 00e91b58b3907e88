/** Small ImagingStudy resources for store and sync tests (the converter's output shape, R4). */
import type { ImagingStudy } from 'fhir/r4';

export interface StudyFixture {
  uid: string;
  accession?: string;
  started?: string;
  modalities?: string[];
  description?: string;
}

export function imagingStudy({ uid, accession, started, modalities = ['CT'], description }: StudyFixture): ImagingStudy {
  const study: ImagingStudy = {
    resourceType: 'ImagingStudy',
    id: uid,
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${uid}` }],
    status: 'available',
    subject: { reference: '#patient.contained.inline' },
    modality: modalities.map((code) => ({ system: 'http://dicom.nema.org/resources/ontology/DCM', code })),
    numberOfSeries: modalities.length,
    series: modalities.map((code, i) => ({
      uid: `${uid}.${i + 1}`,
      number: i + 1,
      modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code },
    })),
  };
  if (accession !== undefined) {
    study.identifier?.push({
      use: 'usual',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
      value: accession,
    });
  }
  if (started !== undefined) study.started = started;
  if (description !== undefined) study.description = description;
  return study;
}
