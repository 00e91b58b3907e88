/**
 * `GET /ImagingStudy/{id}` (FHIR R4 §3.1.0.2 read): the stored version with its ETag and
 * Last-Modified (§3.1.0.1.4 "Version aware updates"/"conditional read"); 304 for a matching
 * If-None-Match; 410 for a study deleted at the source (§3.1.0.2 "read of a deleted resource");
 * and for an id never seen that is a Study Instance UID, an on-demand conversion from the image
 * source (SPEC §4: a study that exists in Orthanc but was not synced yet).
 */
import type { StoredStudy, SyncService, StudyStore } from '../../bridge/types.js';
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

async function convertOnDemand(id: string, sync: ReadDeps['sync']): Promise<StoredStudy | undefined> {
  const result = await sync.syncStudy(id, 'on-demand').catch((error: unknown) => {
    throw new OperationOutcomeError(serviceUnavailable('The image source could not be reached'), { cause: error });
  });
  // With the `uuid` id strategy the stored id differs from the UID: this URL does not name it.
  return result.study !== undefined && result.study.id === id && !result.study.deleted ? result.study : undefined;
}

export async function readImagingStudy(req: FhirRequest, deps: ReadDeps): Promise<FhirResponse> {
  const id = req.params.id ?? '';
  if (!FHIR_ID.test(id)) throw new OperationOutcomeError(badRequest('Invalid FHIR id', 'id'));
  const stored = deps.store.get(id);
  if (stored?.deleted === true) throw new OperationOutcomeError(gone);
  const study = stored ?? (isValidUid(id) ? await convertOnDemand(id, deps.sync) : undefined);
  if (study === undefined) throw new OperationOutcomeError(notFound);
  return answer(study, req.headers['if-none-match']);
}
