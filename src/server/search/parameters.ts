/**
 * The ImagingStudy search parameters this server answers, with how each may be written: the one
 * list both the parser (`parse.ts`) and the CapabilityStatement (`routes/metadata.ts`) read, so
 * the CapabilityStatement states exactly what is supported (FHIR R4 §3.1.1.5, ImagingStudy
 * search parameters; §3.1.1.5.x result parameters).
 */
export type ParameterType = 'token' | 'date' | 'reference' | 'string' | 'number' | 'special';

export interface SearchParameterInfo {
  name: string;
  type: ParameterType;
  /** The SearchParameter resource it implements, for standard parameters. */
  definition?: string;
  documentation: string;
}

const SP = 'http://hl7.org/fhir/SearchParameter/';
const TOKEN_FORMS = 'system|code, code (any system), |code (no system); comma = OR, repeat = AND; :missing';

/** Filters, in the order the CapabilityStatement lists them. */
export const STUDY_SEARCH_PARAMETERS: readonly SearchParameterInfo[] = [
  { name: '_id', type: 'token', definition: `${SP}Resource-id`, documentation: 'Logical id; comma = OR' },
  { name: '_lastUpdated', type: 'date', definition: `${SP}Resource-lastUpdated`, documentation: 'When the stored version was written; prefixes eq, ne, lt, gt, le, ge, sa, eb; :missing' },
  { name: 'identifier', type: 'token', definition: `${SP}ImagingStudy-identifier`, documentation: `Study Instance UID (urn:dicom:uid|urn:oid:<uid>, or the bare UID), accession number, Study ID; ${TOKEN_FORMS}` },
  { name: 'status', type: 'token', definition: `${SP}ImagingStudy-status`, documentation: 'registered | available | cancelled | entered-in-error | unknown' },
  { name: 'started', type: 'date', definition: `${SP}ImagingStudy-started`, documentation: 'Study start; prefixes eq, ne, lt, gt, le, ge, sa, eb; comma = OR, repeat = AND; :missing' },
  { name: 'modality', type: 'token', definition: `${SP}ImagingStudy-modality`, documentation: `DICOM modality of the study or any series (DCM codes); ${TOKEN_FORMS}` },
  { name: 'series', type: 'token', definition: `${SP}ImagingStudy-series`, documentation: 'Series Instance UID of any series; comma = OR' },
  { name: 'instance', type: 'token', definition: `${SP}ImagingStudy-instance`, documentation: 'SOP Instance UID of any instance, from the instance index (also for studies stored without instance lists)' },
  { name: 'dicom-class', type: 'token', definition: `${SP}ImagingStudy-dicom-class`, documentation: 'SOP Class UID of any instance (urn:ietf:rfc:3986|urn:oid:<uid>, or the bare UID), from the instance index' },
  { name: 'bodysite', type: 'token', definition: `${SP}ImagingStudy-bodysite`, documentation: `Body site of any series (SNOMED CT); ${TOKEN_FORMS}; :text (a word of the display starts with the value)` },
  { name: 'reason', type: 'token', definition: `${SP}ImagingStudy-reason`, documentation: `Reason for the study; ${TOKEN_FORMS}; :text (a word of the text starts with the value)` },
  { name: 'patient', type: 'reference', definition: `${SP}ImagingStudy-patient`, documentation: "By the Patient's identifier only: patient:identifier=system|value or patient.identifier=… (token forms); a plain reference is refused (400); :missing" },
  { name: 'subject', type: 'reference', definition: `${SP}ImagingStudy-subject`, documentation: 'As patient: subject:identifier=, subject.identifier=, subject:Patient.identifier=; :missing' },
  { name: 'basedon', type: 'reference', definition: `${SP}ImagingStudy-basedon`, documentation: "By the order's identifier (accession number): basedon:identifier=system|value or basedon.identifier=…; :missing" },
  { name: 'referrer', type: 'reference', definition: `${SP}ImagingStudy-referrer`, documentation: "By the referring physician's identifier (referrer:identifier=, referrer.identifier=) or name (referrer.name=, :exact, :contains); :missing" },
];

/** Parameters that shape the result rather than filter it (R4 §3.1.1.5.6–§3.1.1.5.9). */
export const STUDY_RESULT_PARAMETERS: readonly SearchParameterInfo[] = [
  { name: '_sort', type: 'special', documentation: 'started, _lastUpdated, _id; - for descending; comma-separated keys. Default: most recent started first' },
  { name: '_count', type: 'number', documentation: 'Page size, default 20, at most 1000 (0: total only)' },
  { name: '_offset', type: 'number', documentation: 'Number of matches to skip (paging links carry it)' },
  { name: '_summary', type: 'token', documentation: 'count (total only), data, false' },
  { name: '_elements', type: 'special', documentation: 'Top-level elements to return (id and meta always; the result is tagged SUBSETTED)' },
  { name: '_total', type: 'token', documentation: 'none (no total, cheaper), estimate, accurate (default)' },
];
