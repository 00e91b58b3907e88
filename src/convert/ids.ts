/** Deterministic ids and fullUrls (SPEC §2.1 id; FHIR R4 §2.36.0.1 id, §3.1.0.11.2 transaction fullUrl). */
import type { Identifier } from 'fhir/r4';
import type { ConversionIssue, ConvertOptions } from './options.js';
import { NAMESPACE_OID, NAMESPACE_URL, uuidV5 } from './values/uuid.js';

/** FHIR R4 `id` datatype. */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * The ImagingStudy id: the Study Instance UID itself (a valid FHIR id: digits and dots,
 * ≤ 64 chars), or with `idStrategy: 'uuid'` the UUID v5 of the UID in the RFC 4122 OID
 * namespace — which anyone can recompute from the UID. A UID that is not a valid id (broken
 * data) falls back to the UUID and is reported.
 */
export function studyResourceId(uid: string, options: ConvertOptions, issues: ConversionIssue[]): string {
  if (options.idStrategy === 'uuid') return uuidV5(uid, NAMESPACE_OID);
  if (FHIR_ID_PATTERN.test(uid)) return uid;
  issues.push({
    code: 'invalid-value',
    message: 'Study Instance UID is not a valid FHIR id; a UUID v5 of it is used as id',
  });
  return uuidV5(uid, NAMESPACE_OID);
}

/** `urn:uuid:` fullUrl from a resource type and the identifiers that make it that resource. */
export function fullUrlFor(resourceType: string, key: string): string {
  return `urn:uuid:${uuidV5(`${resourceType}|${key}`, NAMESPACE_URL)}`;
}

/** `system|value` of identifiers, the natural key of a resource found by identifier. */
export function identifierKey(identifiers: readonly Identifier[]): string {
  return identifiers.map((i) => `${i.system ?? ''}|${i.value ?? ''}|${i.assigner?.display ?? ''}`).join('\n');
}
