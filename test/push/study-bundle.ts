/**
 * Input fixture for push tests: a transaction Bundle in the shape SPEC §2.7 gives the converter's
 * Bundle form (Patient and ServiceRequest created only if absent, conditional
 * ImagingStudy PUT by study UID, cross-references by `urn:uuid:` fullUrls).
 */
import type { Bundle, ImagingStudy, Patient, ServiceRequest } from 'fhir/r4';

export interface StudyFixture {
  studyInstanceUid: string;
  patientId: string;
  accessionNumber: string;
  description?: string;
  numberOfInstances?: number;
}

export const PATIENT_SYSTEM = 'urn:oid:1.2.826.0.1.3680043.10.1';
export const ACCESSION_SYSTEM = 'urn:oid:1.2.826.0.1.3680043.10.2';

function uuid(kind: number, uid: string): string {
  const digits = [...uid].filter((c) => c >= '0' && c <= '9').join('').slice(-12).padStart(12, '0');
  return `urn:uuid:0000000${kind}-0000-4000-8000-${digits}`;
}

export function studyBundle(study: StudyFixture): Bundle {
  const patientUrl = uuid(1, study.patientId);
  const orderUrl = uuid(2, study.accessionNumber);
  const studyUrl = uuid(3, study.studyInstanceUid);
  const patient: Patient = {
    resourceType: 'Patient',
    active: true,
    identifier: [{ use: 'usual', system: PATIENT_SYSTEM, value: study.patientId }],
  };
  const order: ServiceRequest = {
    resourceType: 'ServiceRequest',
    status: 'completed',
    intent: 'order',
    identifier: [{ system: ACCESSION_SYSTEM, value: study.accessionNumber }],
    subject: { reference: patientUrl },
  };
  const imagingStudy: ImagingStudy = {
    resourceType: 'ImagingStudy',
    status: 'available',
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${study.studyInstanceUid}` }],
    subject: { reference: patientUrl },
    basedOn: [{ reference: orderUrl }],
    numberOfSeries: 1,
    numberOfInstances: study.numberOfInstances ?? 1,
    ...(study.description === undefined ? {} : { description: study.description }),
  };
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: patientUrl,
        resource: patient,
        request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${PATIENT_SYSTEM}|${study.patientId}` },
      },
      {
        fullUrl: orderUrl,
        resource: order,
        request: { method: 'POST', url: 'ServiceRequest', ifNoneExist: `identifier=${ACCESSION_SYSTEM}|${study.accessionNumber}` },
      },
      {
        fullUrl: studyUrl,
        resource: imagingStudy,
        request: { method: 'PUT', url: `ImagingStudy?identifier=urn:dicom:uid|urn:oid:${study.studyInstanceUid}` },
      },
    ],
  };
}
