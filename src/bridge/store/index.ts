/** The bridge's durable study store (SQLite): versions, history, search, cursors, failures. */
export { openStudyStore, STORE_FILE_NAME } from './sqlite-store.js';
export type { BridgeStore, OpenStudyStoreOptions, PendingSync, PendingSyncStore, StoredOutput, StudySummary, SyncedOutcome, SyncedStudy } from './sqlite-store.js';
export { instanceIndexOfDatasets, instanceIndexOfResource } from './instance-index.js';
export type { InstanceIndexEntry } from './instance-index.js';
export { extractSearchIndex, normalizeSearchString } from './search-index.js';
export { StoreCorruptionError, StoreError, StoreRefusedError, isStoreFault, storeFaultOf, type StoreFaultCode } from './faults.js';
export { StoreHealth, type StoreCondition } from './health.js';
export { BUSY_TIMEOUT_MS } from './open-database.js';
export { MIGRATIONS, SCHEMA_VERSION, STORE_APPLICATION_ID, migrate } from './schema.js';
export { canonicalJson, contentHash } from './canonical.js';
export { parseFhirDate, startedMatches, compareAtCommonPrecision } from './date-search.js';
export type { DatePrefix, FhirDateValue } from './date-search.js';
export { DICOM_UID_SYSTEM, extractIndexColumns, studyInstanceUidOf } from './index-columns.js';
export { storeReadiness } from './readiness.js';
