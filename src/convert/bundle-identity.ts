/**
 * Identity on a FHIR server (SPEC §2.7), as far as a transaction Bundle can carry it: a resource
 * is matched only by an identifier with a system, and written only by a conditional create —
 * a match is linked, never updated. The ImagingStudy alone is updated (it is this product's).
 */
import type { BundleEntryRequest, Identifier, Reference } from 'fhir/r4';
import { identifierQuery } from './search-url.js';
import { DICOM_UID_SYSTEM, URI_SYSTEM } from './systems.js';
import { NAMESPACE_URL, uuidV5 } from './values/uuid.js';

/** The identifier to match a resource by on a server: the first with both a system and a value. */
export function matchingIdentifier(identifiers: readonly Identifier[] | undefined): Identifier | undefined {
  return identifiers?.find((i) => i.system !== undefined && i.system !== '' && i.value !== undefined && i.value !== '');
}

/** `POST Type` with `ifNoneExist: identifier=system|value` (FHIR R4 http.html#ccreate): an existing match is linked as it is. */
export function createIfAbsent(resourceType: string, identifier: Identifier): BundleEntryRequest {
  return { method: 'POST', url: resourceType, ifNoneExist: identifierQuery(identifier) as string };
}

/**
 * A conditional reference (FHIR R4 §3.1.0.11.2: `Patient?identifier=system|value`): the server
 * resolves it to the one match and fails the transaction when there is none, so nothing is created.
 */
export function conditionalReference(resourceType: string, identifier: Identifier): Reference {
  return { reference: `${resourceType}?${identifierQuery(identifier) as string}` };
}

/** The conditional update of the ImagingStudy by its `urn:dicom:uid` identifier. */
export function imagingStudyRequest(studyInstanceUid: string): BundleEntryRequest {
  return { method: 'PUT', url: `ImagingStudy?${identifierQuery(studyIdentifier(studyInstanceUid)) as string}` };
}

export function studyIdentifier(studyInstanceUid: string): Identifier {
  return { system: DICOM_UID_SYSTEM, value: `urn:oid:${studyInstanceUid}` };
}

/**
 * The identifier of a measurement taken for a study (weight, height): a UUID v5 of the study UID
 * and the LOINC code, so posting the study again finds the same Observation and adds none.
 */
export function observationIdentifier(studyInstanceUid: string, loincCode: string): Identifier {
  return { system: URI_SYSTEM, value: `urn:uuid:${uuidV5(`${studyInstanceUid}|${loincCode}`, NAMESPACE_URL)}` };
}
