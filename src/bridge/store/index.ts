/** The bridge's durable study store (SQLite): versions, history, search, cursors, failures. */
export { openStudyStore, STORE_FILE_NAME } from './sqlite-store.js';
export type { BridgeStore, OpenStudyStoreOptions, PendingSync, PendingSyncStore, StudySummary } from './sqlite-store.js';
export { instanceIndexOfDatasets, instanceIndexOfResource } from './instance-index.js';
export type { InstanceIndexEntry } from './instance-index.js';
export { extractSearchIndex, normalizeSearchString } from './search-index.js';
export { canonicalJson, contentHash } from './canonical.js';
export { parseFhirDate, startedMatches, compareAtCommonPrecision } from './date-search.js';
export type { DatePrefix, FhirDateValue } from './date-search.js';
export { DICOM_UID_SYSTEM, extractIndexColumns, studyInstanceUidOf } from './index-columns.js';
