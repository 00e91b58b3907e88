/**
 * The read-before-write half of SPEC §2.7, run wherever the product talks to the FHIR server
 * (`convert --post`, the bridge's outbox): before a study's transaction is sent, every resource
 * it would link or create is looked up by its identifier, and the push is refused — nothing
 * written — when linking would attach the study to the wrong patient. What already exists is
 * linked by its server id (its entry dropped, so it is never written); what does not stays a
 * conditional create, so a resource created meanwhile by someone else is still not duplicated.
 */
import type { Bundle, BundleEntry, ImagingStudy, Patient, Reference, Resource } from 'fhir/r4';
import type { PatientMode } from '../convert/options.js';
import { demographicConflicts } from './demographics.js';
import { IdentityRefusal } from './identity-refusal.js';

/** `GET [base]/[type]?[query]`: the matching resources (a few are enough to tell 0, 1 and several apart). */
export type SearchFn = (resourceType: string, query: string) => Promise<Resource[]>;

export interface IdentityCheckOptions {
  /** `existing`: a Patient absent on the server is refused (`patient-not-found`) instead of created. */
  patientMode?: PatientMode;
  /** A person confirmed that the study moves to another patient (a PACS correction). */
  allowSubjectChange?: boolean;
}

const STUDY_URL = /^ImagingStudy\?identifier=urn:dicom:uid\|urn:oid:(.+)$/;

function referenceTo(resource: Resource): string {
  return `${resource.resourceType}/${resource.id ?? ''}`;
}

/** Replaces every `reference` equal to `from` by `to`, anywhere in the entries (contained resources included). */
function rewriteReferences(entries: BundleEntry[], from: string, to: string): BundleEntry[] {
  return JSON.parse(JSON.stringify(entries), (key, value: unknown) => (key === 'reference' && value === from ? to : value)) as BundleEntry[];
}

/** What the subject of an ImagingStudy designates, comparable across the server copy and the new one. */
function subjectKey(study: ImagingStudy | undefined, subject: Reference | undefined): string {
  const reference = subject?.reference ?? '';
  if (!reference.startsWith('#')) return reference;
  const patient = study?.contained?.find((r) => r.id === reference.slice(1)) as Patient | undefined;
  return `contained:${JSON.stringify({ identifier: patient?.identifier ?? [], name: patient?.name ?? [] })}`;
}

function several(resourceType: string, uid: string): IdentityRefusal {
  return new IdentityRefusal(
    'ambiguous-match',
    `study ${uid}: the FHIR server holds several ${resourceType} resources with the identifier this study would be linked by; an identifier must name one resource — merge or correct them on the server`,
    uid,
  );
}

/**
 * Checks a transaction Bundle built by the converter (or `storedStudyBundle`) against the
 * server and returns the Bundle to send. Throws {@link IdentityRefusal} with a reason code;
 * the messages name fields and resource types, never patient data.
 */
export async function checkIdentities(bundle: Bundle, search: SearchFn, options: IdentityCheckOptions = {}): Promise<Bundle> {
  let entries = [...(bundle.entry ?? [])];
  const studyEntry = entries.find((e) => e.resource?.resourceType === 'ImagingStudy');
  const studyMatch = STUDY_URL.exec(studyEntry?.request?.url ?? '');
  if (studyEntry === undefined || studyMatch === null) {
    throw new Error('the Bundle has no ImagingStudy entry updated by its urn:dicom:uid identifier');
  }
  const uid = decodeURIComponent(studyMatch[1] as string);

  // Patient: link an existing one after comparing demographics, refuse, or leave the conditional create.
  const patientEntry = entries.find((e) => e.resource?.resourceType === 'Patient' && e.request?.ifNoneExist !== undefined);
  let patientReference: string | undefined;
  let patientCreated = false;
  if (patientEntry !== undefined) {
    const found = await search('Patient', patientEntry.request?.ifNoneExist as string);
    if (found.length > 1) throw several('Patient', uid);
    const [existing] = found;
    if (existing === undefined) {
      if (options.patientMode === 'existing') {
        throw new IdentityRefusal(
          'patient-not-found',
          `study ${uid}: the FHIR server has no Patient with this study's patient identifier, and Patients are not created here (patient mode "existing"); register the patient first, or correct the Patient ID in the PACS`,
          uid,
        );
      }
      patientCreated = true;
    } else {
      const conflicts = demographicConflicts(patientEntry.resource as Patient, existing as Patient);
      if (conflicts.length > 0) {
        throw new IdentityRefusal(
          'patient-demographics-conflict',
          `study ${uid}: the FHIR server's Patient with this study's patient identifier differs from the DICOM header in ${conflicts.join(' and ')}; the study was not linked to it — correct the data in the PACS or on the server`,
          uid,
        );
      }
      patientReference = referenceTo(existing);
      entries = rewriteReferences(
        entries.filter((e) => e !== patientEntry),
        patientEntry.fullUrl as string,
        patientReference,
      );
    }
  }

  // The study on the server must already be this patient's, unless a person confirmed the move.
  const newStudyEntry = entries.find((e) => e.resource?.resourceType === 'ImagingStudy') as BundleEntry;
  const newStudy = newStudyEntry.resource as ImagingStudy;
  const copies = (await search('ImagingStudy', `identifier=urn:dicom:uid|urn:oid:${uid}`)) as ImagingStudy[];
  if (copies.length > 1) throw several('ImagingStudy', uid);
  const [copy] = copies;
  if (copy !== undefined && options.allowSubjectChange !== true) {
    const same = !patientCreated && subjectKey(copy, copy.subject) === subjectKey(newStudy, newStudy.subject);
    if (!same) {
      throw new IdentityRefusal(
        'study-of-other-patient',
        `study ${uid}: the FHIR server's ImagingStudy with this Study Instance UID belongs to another patient; it is not moved unless a person confirms the change as a PACS correction (convert --allow-subject-change, or POST /push/retry with "allowSubjectChange": true)`,
        uid,
      );
    }
  }

  // Orders: never another patient's.
  for (const entry of entries.filter((e) => e.resource?.resourceType === 'ServiceRequest' && e.request?.ifNoneExist !== undefined)) {
    const found = await search('ServiceRequest', entry.request?.ifNoneExist as string);
    const mine = found.filter((r) => patientReference !== undefined && (r as { subject?: Reference }).subject?.reference === patientReference);
    if (mine.length !== found.length) {
      throw new IdentityRefusal(
        'order-of-other-patient',
        `study ${uid}: the FHIR server's order (ServiceRequest) with this study's accession number belongs to another patient; the study was not linked to it — correct the accession number or its issuer`,
        uid,
      );
    }
    if (mine.length > 1) throw several('ServiceRequest', uid);
    const [order] = mine;
    if (order !== undefined) entries = rewriteReferences(entries.filter((e) => e !== entry), entry.fullUrl as string, referenceTo(order));
  }

  // Everything else created only if absent (Practitioner, Endpoint, Observation): link what exists.
  for (const entry of entries.filter((e) => e.request?.ifNoneExist !== undefined && !['Patient', 'ServiceRequest'].includes(e.resource?.resourceType ?? ''))) {
    const resourceType = entry.resource?.resourceType as string;
    const found = await search(resourceType, entry.request?.ifNoneExist as string);
    if (found.length > 1) throw several(resourceType, uid);
    const [existing] = found;
    if (existing !== undefined) entries = rewriteReferences(entries.filter((e) => e !== entry), entry.fullUrl as string, referenceTo(existing));
  }

  return { ...bundle, entry: entries };
}
