/**
 * dicom2fhir's public library API: convert a folder of DICOM files (or datasets from any source)
 * to FHIR ImagingStudy resources.
 */
export { convertFolder, processDicom2Fhir, DEFAULT_CONCURRENCY, FolderError, FOLDER_SKIP_REASON_LABEL, countSkipReasons } from './folder/index.js';
export type {
  FolderConvertOptions,
  FolderConversion,
  FolderStudy,
  FolderErrorCode,
  FolderSkipReason,
  SkippedFile,
} from './folder/index.js';
export { convertStudy } from './convert/index.js';
export { ConversionError } from './convert/errors.js';
export type { ConversionErrorCode } from './convert/errors.js';
export type {
  Conversion,
  ConversionIssue,
  ConversionOutput,
  ConvertOptions,
  FhirVersion,
  ImagingStudy,
  OutputFormat,
  StudyEndpoint,
} from './convert/options.js';
export { readDicomHeader, SKIP_REASON_LABEL } from './dicom/part10/index.js';
export type { HeaderResult, SkipReason } from './dicom/part10/index.js';
export { getNumber, getPersonNames, getSequence, getString, getStrings } from './dicom/dataset.js';
export type { Dataset, DicomElement, DicomValue, PersonNameValue } from './dicom/dataset.js';
export { Tag } from './dicom/tags.js';
export type { TagKey, TagName } from './dicom/tags.js';
export { version } from './version.js';
