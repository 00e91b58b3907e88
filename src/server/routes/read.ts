/**
 * `GET /ImagingStudy/{id}` (FHIR R4 §3.1.0.2 read): the stored version with its ETag and
 * Last-Modified (§3.1.0.1.4 "Version aware updates"/"conditional read"); 304 for a matching
 * If-None-Match; 410 for a study deleted at the source (§3.1.0.2 "read of a deleted resource");
 * and for an id never seen that is a Study Instance UID, an on-demand conversion from the image
 * source (SPEC §4: a study that exists in Orthanc but was not synced yet) — stored only when the
 * source calls it stable, answered unstored while it is still arriving; so is a stored version made
 * by another FHIR version or converter output schema (SPEC §4: never mixes).
 */
import type { Bundle, BundleEntry, BundleLink, Resource } from 'fhir/r4';
import type { StoredStudy, SyncService, StudyStore } from '../../bridge/types.js';
import { StoreError } from '../../bridge/store/faults.js';
import type { ImagingStudy } from '../../convert/options.js';
import { isValidUid } from '../../dicomweb/uid.js';
import { allOk, badRequest, gone, notFound, notModified, OperationOutcomeError, serviceUnavailable } from '../outcomes.js';
import type { FhirRequest, FhirResponse, FhirResource } from '../request.js';

/** FHIR `id` datatype (R4 §2.24.0.1): 1–64 of letters, digits, `-` and `.`. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export interface ReadDeps {
  store: Pick<StudyStore, 'get'>;
  sync: Pick<SyncService, 'syncStudy'>;
}

export function etagOf(study: Pick<StoredStudy, 'versionId'>): string {
  return `W/"${study.versionId}"`;
}

/** The validators of a stored version, sent alike by the routed read and the direct read. */
export type VersionHeaders = { ETag: string; 'Last-Modified': string };

export function versionHeaders(study: Pick<StoredStudy, 'versionId' | 'lastUpdated'>): VersionHeaders {
  return { ETag: etagOf(study), 'Last-Modified': new Date(study.lastUpdated).toUTCString() };
}

/** RFC 9110 §13.1.2: `*` or a list of entity tags, compared weakly. */
export function matchesIfNoneMatch(header: string | undefined, versionId: number): boolean {
  if (header === undefined) return false;
  const tags = header.split(',').map((tag) => tag.trim());
  return tags.some((tag) => tag === '*' || tag.replace(/^W\//, '') === `"${versionId}"`);
}

function answer(study: StoredStudy, ifNoneMatch: string | undefined): FhirResponse {
  const headers = versionHeaders(study);
  if (matchesIfNoneMatch(ifNoneMatch, study.versionId)) return [notModified, undefined, headers];
  return [allOk, study.resource as FhirResource, headers];
}

/**
 * A study the source is still receiving is answered as converted so far but stored nowhere: it has
 * no version to validate against, and no cache may keep it (the next read may see more instances).
 */
function answerUnstable(resource: ImagingStudy): FhirResponse {
  return [allOk, resource as FhirResource, { 'Cache-Control': 'no-store' }];
}

async function convertOnDemand(id: string, studyInstanceUid: string, sync: ReadDeps['sync'], ifNoneMatch: string | undefined): Promise<FhirResponse | undefined> {
  const result = await sync.syncStudy(studyInstanceUid, 'on-demand').catch((error: unknown) => {
    // The store's own faults keep their answer (503 unavailable, 500 corrupted).
    if (error instanceof StoreError) throw error;
    throw new OperationOutcomeError(serviceUnavailable('The image source could not be reached'), { cause: error });
  });
  // With the `uuid` id strategy the stored id differs from the UID: this URL does not name it.
  if (result.outcome === 'unstable') return result.resource?.id === id ? answerUnstable(result.resource) : undefined;
  return result.study !== undefined && result.study.id === id && !result.study.deleted ? answer(result.study, ifNoneMatch) : undefined;
}

export async function readImagingStudy(req: FhirRequest, deps: ReadDeps): Promise<FhirResponse> {
  const id = req.params.id ?? '';
  if (!FHIR_ID.test(id)) throw new OperationOutcomeError(badRequest('Invalid FHIR id', 'id'));
  const ifNoneMatch = req.headers['if-none-match'];
  const stored = deps.store.get(id);
  if (stored?.deleted === true) throw new OperationOutcomeError(gone);
  if (stored !== undefined && stored.stale !== true) return answer(stored, ifNoneMatch);
  // A version made by another FHIR version or converter schema is converted again, never served as is.
  const uid = stored?.studyInstanceUid ?? (isValidUid(id) ? id : undefined);
  const converted = uid === undefined ? undefined : await convertOnDemand(id, uid, deps.sync, ifNoneMatch);
  if (converted === undefined) throw new OperationOutcomeError(notFound);
  return converted;
}

/** A stored version number (`meta.versionId` is 1, 2, 3…). */
const VERSION_ID = /^[1-9]\d{0,9}$/;

export interface HistoryDeps {
  store: Pick<StudyStore, 'getVersionOf' | 'historyPage'>;
}

/**
 * `GET /ImagingStudy/{id}/_history/{vid}` (FHIR R4 §3.1.0.3 vread): that version with its ETag;
 * 410 when it is the tombstone of a deletion, 404 when the study or the version never existed.
 * `If-None-Match` naming that version answers 304.
 */
export async function vreadImagingStudy(req: FhirRequest, deps: HistoryDeps): Promise<FhirResponse> {
  const id = req.params.id ?? '';
  const vid = req.params.vid ?? '';
  if (!FHIR_ID.test(id)) throw new OperationOutcomeError(badRequest('Invalid FHIR id', 'id'));
  if (!FHIR_ID.test(vid)) throw new OperationOutcomeError(badRequest('Invalid version id', 'vid'));
  const version = VERSION_ID.test(vid) ? deps.store.getVersionOf(id, Number(vid)) : undefined;
  if (version === undefined) throw new OperationOutcomeError(notFound);
  if (version.deleted) throw new OperationOutcomeError(gone);
  return answer(version, req.headers['if-none-match']);
}

function historyEntry(baseUrl: string, version: StoredStudy, first: boolean): BundleEntry {
  const url = `ImagingStudy/${version.id}`;
  const etag = etagOf(version);
  const lastModified = version.lastUpdated;
  if (version.deleted) {
    return { fullUrl: `${baseUrl}/${url}`, request: { method: 'DELETE', url }, response: { status: '204 No Content', etag, lastModified } };
  }
  return {
    fullUrl: `${baseUrl}/${url}`,
    resource: version.resource as Resource,
    request: { method: first ? 'POST' : 'PUT', url },
    response: { status: first ? '201 Created' : '200 OK', etag, lastModified },
  };
}

const HISTORY_PARAMETERS = new Set(['_count', '_offset', '_since', '_format', '_pretty']);

function historyParameter(req: FhirRequest, name: string): string | undefined {
  const values = req.query[name];
  if (values !== undefined && values.length > 1) throw new OperationOutcomeError(badRequest(`Parameter ${name} may appear only once`, name));
  return values?.[0];
}

function count(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw new OperationOutcomeError(badRequest(`Parameter ${name} must be a non-negative integer`, name));
  return Number(raw);
}

/**
 * `GET /ImagingStudy/{id}/_history` (FHIR R4 §3.1.0.9 history): a `history` Bundle of every stored
 * version, newest first, a deletion as a DELETE entry without resource; `_count` (default 20, at
 * most 1000), `_offset` and `_since` (an instant), with paging links. 404 for a study never stored.
 */
export async function historyImagingStudy(req: FhirRequest, deps: HistoryDeps): Promise<FhirResponse> {
  const id = req.params.id ?? '';
  if (!FHIR_ID.test(id)) throw new OperationOutcomeError(badRequest('Invalid FHIR id', 'id'));
  const unknown = Object.keys(req.query).filter((name) => !HISTORY_PARAMETERS.has(name));
  if (unknown.length > 0) {
    throw new OperationOutcomeError(badRequest(`Unknown or unsupported history parameter ${unknown.join(', ')} (supported: _count, _offset, _since)`, unknown[0]));
  }
  const pageSize = Math.min(count(historyParameter(req, '_count'), '_count', 20), 1000);
  const offset = count(historyParameter(req, '_offset'), '_offset', 0);
  const sinceRaw = historyParameter(req, '_since');
  let since: string | undefined;
  if (sinceRaw !== undefined) {
    const parsed = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(sinceRaw) ? new Date(sinceRaw) : undefined;
    if (parsed === undefined || Number.isNaN(parsed.getTime())) {
      throw new OperationOutcomeError(badRequest('Parameter _since must be an instant with a zone (e.g. 2024-01-01T00:00:00Z)', '_since'));
    }
    since = parsed.toISOString();
  }
  const page = deps.store.historyPage(id, { count: pageSize, offset, ...(since === undefined ? {} : { since }) });
  if (page.total === 0 && deps.store.historyPage(id, { count: 0, offset: 0 }).total === 0) throw new OperationOutcomeError(notFound);
  const link = (at: number): string => {
    const params = new URLSearchParams();
    if (sinceRaw !== undefined) params.append('_since', sinceRaw);
    params.append('_count', String(pageSize));
    params.append('_offset', String(at));
    return `${req.baseUrl}/ImagingStudy/${id}/_history?${params.toString()}`;
  };
  const links: BundleLink[] = [{ relation: 'self', url: link(offset) }];
  if (pageSize > 0 && offset + pageSize < page.total) links.push({ relation: 'next', url: link(offset + pageSize) });
  if (offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, offset - Math.max(pageSize, 1))) });
  // Version 1, and the first version after a deletion, created the resource.
  const entries = page.versions.map((version) => {
    const previous = version.versionId === 1 ? undefined : deps.store.getVersionOf(id, version.versionId - 1);
    return historyEntry(req.baseUrl, version, previous === undefined || previous.deleted);
  });
  const bundle: Bundle = { resourceType: 'Bundle', type: 'history', total: page.total, link: links };
  if (entries.length > 0) bundle.entry = entries;
  return [allOk, bundle];
}
