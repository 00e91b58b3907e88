/** DICOMweb source: WADO-RS study metadata and QIDO-RS study search through dicomweb-client. */
export { createDicomWebClient, DEFAULT_ANSWER_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from './client.js';
export type { DicomWebClient, DicomWebClientOptions } from './client.js';
export { DicomWebError } from './errors.js';
export type { DicomWebFailure } from './errors.js';
export { fetchStudyMetadata } from './metadata.js';
export { searchStudies, searchStudyPage, DEFAULT_SEARCH_LIMIT } from './search.js';
export type { StudySearchQuery, StudySearchPage } from './search.js';
export { assertValidUid, isValidUid, InvalidUidError, MAX_UID_LENGTH } from './uid.js';
export { fetchStudyDatasets, DEFAULT_SERIES_CONCURRENCY } from './study-datasets.js';
export type { StudyDatasetsOptions } from './study-datasets.js';
export { DatasetStreamReader, DatasetStreamError, DEFAULT_MAX_DATASET_BYTES } from './dataset-stream.js';
export type { DatasetStreamProblem } from './dataset-stream.js';
