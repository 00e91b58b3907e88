/**
 * Search index values taken from an ImagingStudy when it is stored, so searches never parse
 * stored JSON: identifiers (study UID, accession number, study ID), modality codes of the study
 * and of every series (R4 Coding, R5 CodeableConcept) and the start.
 */
import type { ImagingStudy } from '../../convert/options.js';

/** FHIR identifier system of a DICOM UID (SPEC §2.1; FHIR R4 ImagingStudy.identifier). */
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
const OID_PREFIX = 'urn:oid:';

export interface IndexColumns {
  studyInstanceUid: string;
  identifiers: Array<{ system: string; value: string }>;
  modalities: string[];
  started?: string;
}

interface CodingLike {
  code?: string;
  coding?: Array<{ code?: string }>;
}

function codesOf(value: unknown): string[] {
  if (value === undefined || value === null || typeof value !== 'object') return [];
  const item = value as CodingLike;
  const codes: string[] = [];
  if (typeof item.code === 'string') codes.push(item.code);
  for (const coding of item.coding ?? []) if (typeof coding.code === 'string') codes.push(coding.code);
  return codes;
}

/** The Study Instance UID from the `urn:dicom:uid` identifier; undefined when the resource has none. */
export function studyInstanceUidOf(resource: ImagingStudy): string | undefined {
  for (const identifier of resource.identifier ?? []) {
    if (identifier.system === DICOM_UID_SYSTEM && identifier.value?.startsWith(OID_PREFIX)) {
      return identifier.value.slice(OID_PREFIX.length);
    }
  }
  return undefined;
}

export function extractIndexColumns(resource: ImagingStudy): IndexColumns {
  const studyInstanceUid = studyInstanceUidOf(resource);
  if (studyInstanceUid === undefined) {
    throw new TypeError(`ImagingStudy ${resource.id ?? '(no id)'} has no ${DICOM_UID_SYSTEM} identifier`);
  }
  const identifiers = (resource.identifier ?? [])
    .filter((identifier) => typeof identifier.value === 'string' && identifier.value !== '')
    .map((identifier) => ({ system: identifier.system ?? '', value: identifier.value as string }));
  const modalities = new Set<string>();
  for (const modality of (resource.modality ?? []) as unknown[]) for (const code of codesOf(modality)) modalities.add(code);
  for (const series of resource.series ?? []) for (const code of codesOf(series.modality)) modalities.add(code);
  const columns: IndexColumns = { studyInstanceUid, identifiers, modalities: [...modalities].sort() };
  if (resource.started !== undefined) columns.started = resource.started;
  return columns;
}
