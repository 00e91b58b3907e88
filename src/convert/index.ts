/** The converter's public API: one study's datasets in, FHIR out (SPEC §2). */
export { convertStudy } from './convert.js';
export { ConversionError, type ConversionErrorCode } from './errors.js';
export type {
  Conversion,
  ConversionIssue,
  ConversionOutput,
  ConvertOptions,
  FhirVersion,
  ImagingStudy,
  OutputFormat,
  StudyEndpoint,
} from './options.js';
export { DICOM_UID_SYSTEM, CONTAINED_PATIENT_ID } from './systems.js';
export { uuidV5, NAMESPACE_OID, NAMESPACE_URL } from './values/uuid.js';
