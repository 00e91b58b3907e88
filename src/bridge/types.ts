/**
 * Contracts between the bridge's parts: the store (durable ImagingStudy versions), the sync
 * service (every trigger ends in `syncStudy`) and the HTTP API that reads both.
 */
import type { ImagingStudy } from '../convert/options.js';

/** One stored version of an ImagingStudy (or the tombstone of a deleted one). */
export interface StoredStudy {
  /** FHIR logical id (the Study Instance UID by default). */
  id: string;
  studyInstanceUid: string;
  /** 1, 2, 3… increases only when the content changes. */
  versionId: number;
  /** ISO 8601 instant with offset. */
  lastUpdated: string;
  deleted: boolean;
  /** The resource with `meta.versionId` and `meta.lastUpdated` set; absent for a tombstone. */
  resource?: ImagingStudy;
}

/**
 * The current version of a study with its resource as the stored JSON text, not parsed and not
 * even decoded: the UTF-8 bytes the read API sends as they are. `json` is absent for a tombstone.
 */
export interface StoredStudyJson {
  id: string;
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  json?: Buffer;
}

/** Which version of a study is current, read without its resource (to check a cached copy). */
export interface StudyVersionStamp {
  versionId: number;
  deleted: boolean;
}

export type PutOutcome = 'created' | 'updated' | 'unchanged';

export interface StudySearch {
  /** Matches the study UID identifier (`urn:oid:<uid>` or the bare UID) or the accession number; optional `system|` prefix already split. */
  identifier?: { system?: string; value: string };
  /** Modality code any series has. */
  modality?: string[];
  /** FHIR date search on `started`, e.g. `{ prefix: 'ge', value: '2024-01-01' }`. */
  started?: Array<{ prefix: 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge'; value: string }>;
  count: number;
  offset: number;
}

export interface SearchResult {
  total: number;
  studies: StoredStudy[];
}

export interface SyncFailure {
  studyInstanceUid: string;
  attempts: number;
  lastError: string;
  lastAttemptAt: string;
  /** When the next retry is due; absent once retries are exhausted (the failure stays recorded). */
  nextAttemptAt?: string;
}

export interface StudyStore {
  /** Stores a new version unless the content equals the current one. */
  put(resource: ImagingStudy): { outcome: PutOutcome; study: StoredStudy };
  get(id: string): StoredStudy | undefined;
  /** The current version with its resource as stored: the UTF-8 of `JSON.stringify` of what `get` parses. */
  getJson(id: string): StoredStudyJson | undefined;
  /** The current version number and tombstone flag, without reading the resource. */
  getVersion(id: string): StudyVersionStamp | undefined;
  getByStudyInstanceUid(uid: string): StoredStudy | undefined;
  /** Tombstones the study: `get` then answers 410. Returns false when it was unknown. */
  markDeleted(studyInstanceUid: string): boolean;
  search(query: StudySearch): SearchResult;
  /** Every known, non-deleted Study Instance UID (for reconciliation). */
  listStudyInstanceUids(): string[];
  getCursor(name: string): number | undefined;
  setCursor(name: string, value: number): void;
  recordFailure(failure: SyncFailure): void;
  clearFailure(studyInstanceUid: string): void;
  listFailures(): SyncFailure[];
  /** Throws when the database cannot be read (for /readyz). */
  ping(): void;
  close(): void;
}

export type SyncReason = 'webhook' | 'changes' | 'reconcile' | 'on-demand' | 'manual';

export interface SyncResult {
  studyInstanceUid: string;
  outcome: PutOutcome | 'not-found';
  study?: StoredStudy;
}

export interface SyncService {
  /** Converts the study from its WADO-RS metadata now and stores it; idempotent. */
  syncStudy(studyInstanceUid: string, reason: SyncReason): Promise<SyncResult>;
  /** Queues a sync (bounded concurrency, retries with backoff, failures recorded). */
  enqueue(studyInstanceUid: string, reason: SyncReason): void;
  /** Removes a study deleted at the source. */
  deleteStudy(studyInstanceUid: string): void;
  /** Queue depth, in-flight count and recorded failures, for /readyz and logs. */
  status(): { queued: number; inFlight: number; failures: SyncFailure[] };
  /** Resolves once the queue is empty (tests, graceful shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}
