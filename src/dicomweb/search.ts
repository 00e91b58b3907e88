/** QIDO-RS study search, used to reconcile with any DICOMweb server (SPEC §4, scheduled sync). */
import { getString, type Dataset } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';
import { runRequest, type DicomWebClient } from './client.js';
import { DicomWebError } from './errors.js';
import { isValidUid } from './uid.js';

export interface StudySearchQuery {
  /**
   * DICOM date or range (PS3.18 §8.3.4.1 / PS3.4 §C.2.2.2.5): `20240131`, `20240101-20240131`,
   * `20240101-` or `-20240131`.
   */
  studyDate?: string;
  /** Number of matches to skip (QIDO-RS `offset`). */
  offset?: number;
  /** Maximum matches per page (QIDO-RS `limit`). Default 100. */
  limit?: number;
}

const DATE_RANGE = /^(\d{8})?(-(\d{8})?)?$/;
export const DEFAULT_SEARCH_LIMIT = 100;

/** Outcome of one QIDO-RS page: UIDs found and answers that carried no valid UID. */
export interface StudySearchPage {
  studyInstanceUids: string[];
  /** Results without a syntactically valid Study Instance UID, counted rather than dropped silently. */
  invalid: number;
}

function checkQuery(query: StudySearchQuery): void {
  if (query.studyDate !== undefined && (query.studyDate === '' || query.studyDate === '-' || !DATE_RANGE.test(query.studyDate))) {
    throw new TypeError(`studyDate must be a DICOM date or date range (YYYYMMDD[-YYYYMMDD]), got ${query.studyDate}`);
  }
  if (query.offset !== undefined && (!Number.isInteger(query.offset) || query.offset < 0)) {
    throw new TypeError(`offset must be a non-negative integer, got ${query.offset}`);
  }
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1)) {
    throw new TypeError(`limit must be a positive integer, got ${query.limit}`);
  }
}

/**
 * One page of `GET {base}/studies?StudyDate=…&offset=…&limit=…&includefield=0020000D`
 * (PS3.18 §10.6, Search Transaction), reduced to Study Instance UIDs.
 */
export async function searchStudyPage(client: DicomWebClient, query: StudySearchQuery = {}): Promise<StudySearchPage> {
  checkQuery(query);
  const queryParams: Record<string, string> = {};
  if (query.studyDate !== undefined) queryParams.StudyDate = query.studyDate;
  queryParams.offset = String(query.offset ?? 0);
  queryParams.limit = String(query.limit ?? DEFAULT_SEARCH_LIMIT);
  queryParams.includefield = Tag.StudyInstanceUID;
  const url = `${client.baseUrl}/studies?${new URLSearchParams(queryParams).toString()}`;
  const body = await runRequest(client, url, 'QIDO-RS study search', (request) =>
    // The typings omit `request`, which the implementation accepts (api.js, searchForStudies).
    (client.api.searchForStudies as unknown as (options: unknown) => Promise<unknown>).call(client.api, {
      queryParams,
      request,
    }),
  );
  // 204 No Content (no match) arrives from dicomweb-client as an empty array.
  if (!Array.isArray(body)) {
    throw new DicomWebError(`QIDO-RS study search failed: ${url} did not answer with a JSON array`, {
      failure: 'invalid-response',
      url,
    });
  }
  const page: StudySearchPage = { studyInstanceUids: [], invalid: 0 };
  for (const item of body as unknown[]) {
    const uid = typeof item === 'object' && item !== null ? getString(item as Dataset, Tag.StudyInstanceUID) : undefined;
    if (uid !== undefined && isValidUid(uid)) page.studyInstanceUids.push(uid);
    else page.invalid += 1;
  }
  return page;
}

/**
 * Every Study Instance UID matching the query, read page by page (PS3.18 §8.3.4.4): `limit`
 * (default 100) is the page size, `offset` the first match. Paging stops at an empty page rather
 * than a short one, because a server may cap the page size below the requested `limit`, and it
 * stops when a page brings nothing new, for servers that ignore `offset`.
 */
export async function searchStudies(client: DicomWebClient, query: StudySearchQuery = {}): Promise<string[]> {
  const limit = query.limit ?? DEFAULT_SEARCH_LIMIT;
  const seen = new Set<string>();
  let offset = query.offset ?? 0;
  for (;;) {
    const page = await searchStudyPage(client, { ...query, offset, limit });
    const received = page.studyInstanceUids.length + page.invalid;
    const before = seen.size;
    for (const uid of page.studyInstanceUids) seen.add(uid);
    if (received === 0 || (seen.size === before && page.invalid === 0)) break;
    offset += received;
  }
  return [...seen];
}
