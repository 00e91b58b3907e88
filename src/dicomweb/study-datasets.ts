/**
 * A study's datasets from WADO-RS metadata, streamed: the bridge's sync and `dicom2fhir fetch`
 * read every study this way, whatever its size (SPEC §4, Sync study).
 */
import type { Dataset } from '../dicom/dataset.js';
import { getString } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';
import { mapWithConcurrency } from '../folder/pool.js';
import { runRequest, type DicomWebClient } from './client.js';
import { DatasetStreamReader, DEFAULT_MAX_DATASET_BYTES } from './dataset-stream.js';
import { DicomWebError } from './errors.js';
import { streamGet } from './stream-get.js';
import { assertValidUid, isValidUid } from './uid.js';

export interface StudyDatasetsOptions {
  /**
   * Series whose metadata is read at once (`/studies/{uid}/series/{suid}/metadata`); default 2.
   * 1 reads the whole study with one request (`/studies/{uid}/metadata`).
   */
  seriesConcurrency?: number;
  /** Largest single dataset accepted; default 64 MiB. */
  maxDatasetBytes?: number;
}

export const DEFAULT_SERIES_CONCURRENCY = 2;

/** Series listed per QIDO-RS page. */
const SERIES_PAGE = 1000;

/** Statuses of a server that has no series-level QIDO-RS: the study is then read in one request. */
const NO_SERIES_SEARCH = new Set([400, 404, 405, 501]);

/**
 * Series Instance UIDs of the study (QIDO-RS `GET {base}/studies/{uid}/series`, PS3.18 §10.6),
 * page by page as `searchStudies` does, so a server that caps its answers loses no series.
 * Undefined when the server has no such search.
 */
async function listSeries(client: DicomWebClient, uid: string): Promise<string[] | undefined> {
  const seen = new Set<string>();
  let offset = 0;
  for (;;) {
    const queryParams = { offset: String(offset), limit: String(SERIES_PAGE), includefield: Tag.SeriesInstanceUID };
    const url = `${client.baseUrl}/studies/${uid}/series?${new URLSearchParams(queryParams).toString()}`;
    let body: unknown;
    try {
      body = await runRequest(client, url, 'QIDO-RS series search', (request) =>
        // The typings omit `request`, which the implementation accepts (api.js, searchForSeries).
        (client.api.searchForSeries as unknown as (options: unknown) => Promise<unknown>).call(client.api, {
          studyInstanceUID: uid,
          queryParams,
          request,
        }),
      );
    } catch (error) {
      if (error instanceof DicomWebError && error.status !== undefined && NO_SERIES_SEARCH.has(error.status)) return undefined;
      throw error;
    }
    if (!Array.isArray(body)) return undefined;
    const before = seen.size;
    for (const item of body as unknown[]) {
      const series = typeof item === 'object' && item !== null ? getString(item as Dataset, Tag.SeriesInstanceUID) : undefined;
      // A series without a valid UID cannot be asked for alone: read the study in one request.
      if (series === undefined || !isValidUid(series)) return undefined;
      seen.add(series);
    }
    if (body.length === 0 || seen.size === before) break;
    offset += body.length;
  }
  return [...seen];
}

/** Streams one metadata answer into `datasets`; false when the server answered 404. */
async function readMetadata(client: DicomWebClient, url: string, operation: string, datasets: Dataset[], maxDatasetBytes: number): Promise<boolean> {
  const reader = new DatasetStreamReader((dataset) => datasets.push(dataset), maxDatasetBytes);
  return (await streamGet(client, url, operation, reader)) === 'read';
}

/**
 * The study's datasets as the converter needs them: each reduced, while it streams in, to the
 * elements the converter reads (`DatasetStreamReader`), so memory grows with the instances'
 * kept elements (shared between instances when equal), not with the size of the answer — a
 * 30,000-instance study is ~600 MB of JSON. The converter gives the same output as from the
 * whole answer parsed at once (`fetchStudyMetadata`); datasets come in no particular order, which
 * the converter does not depend on.
 *
 * With two series or more, their metadata is read with `seriesConcurrency` requests in flight,
 * so a server that builds each answer on one thread (Orthanc: ~2 ms per instance) works on
 * several at once; otherwise, or when the server cannot list series, one request for the study.
 *
 * @returns the datasets, or `undefined` when the server does not know the study.
 * @throws InvalidUidError before any request when `studyInstanceUid` is not a DICOM UID.
 * @throws DicomWebError for an HTTP error, a timeout, an unreachable server, and an answer that
 *   is not JSON, not an array of datasets, cut off, or holds a dataset above `maxDatasetBytes`.
 */
export async function fetchStudyDatasets(
  client: DicomWebClient,
  studyInstanceUid: string,
  options: StudyDatasetsOptions = {},
): Promise<Dataset[] | undefined> {
  const uid = assertValidUid(studyInstanceUid);
  const concurrency = options.seriesConcurrency ?? DEFAULT_SERIES_CONCURRENCY;
  const maxDatasetBytes = options.maxDatasetBytes ?? DEFAULT_MAX_DATASET_BYTES;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`seriesConcurrency must be a positive integer, got ${concurrency}`);
  const datasets: Dataset[] = [];
  const series = concurrency > 1 ? await listSeries(client, uid) : undefined;
  if (series === undefined || series.length < 2) {
    const url = `${client.baseUrl}/studies/${uid}/metadata`;
    return (await readMetadata(client, url, 'WADO-RS study metadata', datasets, maxDatasetBytes)) ? datasets : undefined;
  }
  let failed = false;
  const found = await mapWithConcurrency(series, concurrency, async (seriesUid) => {
    // After a failure no further series is asked for; the call rejects with the first error.
    if (failed) return false;
    const url = `${client.baseUrl}/studies/${uid}/series/${seriesUid}/metadata`;
    return readMetadata(client, url, 'WADO-RS series metadata', datasets, maxDatasetBytes).catch((error: unknown) => {
      failed = true;
      throw error;
    });
  });
  // Every series gone since it was listed: the study was deleted meanwhile.
  return found.some(Boolean) ? datasets : undefined;
}
