/**
 * Contracts between the bridge's parts: the store (durable ImagingStudy versions), the sync
 * service (every trigger ends in `syncStudy`) and the HTTP API that reads both.
 */
import type { ImagingStudy } from '../convert/options.js';
import type { InstanceIndexEntry } from './store/instance-index.js';

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
  /** Present when the version was made by another FHIR version or converter output schema than the current ones (re-converted, never served as is). */
  stale?: true;
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
  /** As `StoredStudy.stale`. */
  stale?: true;
}

/** Which version of a study is current, read without its resource (to check a cached copy). */
export interface StudyVersionStamp {
  versionId: number;
  deleted: boolean;
}

export type PutOutcome = 'created' | 'updated' | 'unchanged';

/** What a write may carry beside the resource. */
export interface PutOptions {
  /**
   * The study's instance index (`instance` and `dicom-class` searches), from the datasets the
   * resource was converted from (`instanceIndexOfDatasets`); it is what those searches see when
   * the resource omits `series[].instance[]`. Default: the resource's own instance lists. Also
   * written when the content is unchanged and the stored index holds another number of entries
   * (a store from before the index, or a study stored before its instance lists were omitted).
   */
  instances?: readonly InstanceIndexEntry[];
}


/** A FHIR date search value with its prefix (R4 §3.1.1.4.2). */
export interface DateCondition {
  prefix: 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge' | 'sa' | 'eb';
  value: string;
}

/**
 * One token to match (R4 §3.1.1.4.1): `system` undefined matches any system, `''` only values
 * without a system.
 */
export interface TokenMatch {
  system?: string;
  code: string;
}

/** Token search parameters of the store, named as the FHIR search parameters they answer. */
export type TokenParameter =
  | '_id'
  | 'identifier'
  | 'status'
  | 'modality'
  | 'series'
  | 'instance'
  | 'dicom-class'
  | 'bodysite'
  | 'reason'
  | 'patient'
  | 'basedon'
  | 'referrer';

/** Parameters whose element may be absent (`:missing`). */
export type MissingParameter = Exclude<TokenParameter, '_id'> | 'started' | '_lastUpdated' | '_id';

/**
 * One condition of a search; conditions combine with AND (repeated parameters), the values inside
 * one condition with OR (comma-separated values), as R4 §3.1.1.5.5 "Composite" / §3.1.1.4 say.
 * Reference parameters (`patient`, `basedon`, `referrer`) match the referenced resource's identifiers.
 */
export type SearchCondition =
  | { kind: 'token'; param: TokenParameter; anyOf: TokenMatch[] }
  /** `:text` on a coded parameter: a word of the text or display starts with one of the values. */
  | { kind: 'text'; param: 'reason' | 'bodysite'; anyOf: string[] }
  /** The referrer's name parts: `starts` (default string search), `exact` or `contains`. */
  | { kind: 'string'; param: 'referrer.name'; match: 'starts' | 'exact' | 'contains'; anyOf: string[] }
  | { kind: 'date'; param: 'started' | '_lastUpdated'; anyOf: DateCondition[] }
  | { kind: 'missing'; param: MissingParameter; missing: boolean };

export type SortKey = 'started' | '_lastUpdated' | '_id';

export interface StudySearch {
  /** Matches the study UID identifier (`urn:oid:<uid>` or the bare UID) or the accession number; optional `system|` prefix already split. */
  identifier?: { system?: string; value: string };
  /** Modality code any series has. */
  modality?: string[];
  /** FHIR date search on `started`, e.g. `{ prefix: 'ge', value: '2024-01-01' }`. */
  started?: DateCondition[];
  /** Further conditions, all of which must hold. */
  conditions?: SearchCondition[];
  /** Sort keys in order (R4 §3.1.1.5.6 `_sort`); default: most recent `started` first. Ties are ordered by id. */
  sort?: Array<{ key: SortKey; descending: boolean }>;
  /** false: do not count the matches (`_total=none`); `more` then says whether a next page exists. */
  total?: boolean;
  count: number;
  offset: number;
}

export interface SearchResult {
  /** Every match, when counted. */
  total?: number;
  /** Set when the matches were not counted: whether matches exist beyond this page. */
  more?: boolean;
  studies: StoredStudy[];
}

/** A page of a study's versions, newest first (FHIR R4 §3.1.0.9 history). */
export interface HistoryPage {
  /** Every version of the study (within `since`). */
  total: number;
  versions: StoredStudy[];
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
  put(resource: ImagingStudy, options?: PutOptions): { outcome: PutOutcome; study: StoredStudy };
  get(id: string): StoredStudy | undefined;
  /** The current version with its resource as stored: the UTF-8 of `JSON.stringify` of what `get` parses. */
  getJson(id: string): StoredStudyJson | undefined;
  /** The current version number and tombstone flag, without reading the resource. */
  getVersion(id: string): StudyVersionStamp | undefined;
  getByStudyInstanceUid(uid: string): StoredStudy | undefined;
  /** Tombstones the study: `get` then answers 410. Returns false when it was unknown. */
  markDeleted(studyInstanceUid: string): boolean;
  search(query: StudySearch): SearchResult;
  /**
   * Versions of a study newest first, tombstones included, `count` of them from `offset`, only
   * those written at or after `since` (an ISO instant) when given. `total` 0: unknown study.
   */
  historyPage(id: string, options: { count: number; offset: number; since?: string }): HistoryPage;
  /** One version of a study (FHIR vread), tombstone included; undefined when it never existed. */
  getVersionOf(id: string, versionId: number): StoredStudy | undefined;
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

/** `repair`: a stored copy failed its checksum; `reconvert`: stored by another FHIR version or converter schema. */
export type SyncReason = 'webhook' | 'changes' | 'reconcile' | 'on-demand' | 'manual' | 'repair' | 'reconvert';

export interface SyncResult {
  studyInstanceUid: string;
  /** `unstable`: the source is still receiving the study; nothing was stored. */
  outcome: PutOutcome | 'not-found' | 'unstable';
  study?: StoredStudy;
  /** With `unstable`: the conversion of what has arrived so far, stored nowhere (an on-demand read may answer it). */
  resource?: ImagingStudy;
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
