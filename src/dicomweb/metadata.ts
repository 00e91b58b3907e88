/** WADO-RS study metadata: the per-instance DICOM JSON datasets the converter takes as input. */
import type { Dataset } from '../dicom/dataset.js';
import { runRequest, type DicomWebClient } from './client.js';
import { DicomWebError } from './errors.js';
import { assertValidUid } from './uid.js';

function isDataset(value: unknown): value is Dataset {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `GET {base}/studies/{uid}/metadata` (PS3.18 §10.4, Retrieve Transaction, metadata resource):
 * one request for the whole study, answered with one DICOM JSON object per instance
 * (PS3.18 §F.2). The datasets are returned unchanged, so the converter sees exactly what the
 * server sent.
 *
 * Measured against Orthanc 1.10 with DICOMweb plugin 1.7 (`StudiesMetadata: Full`), compared with
 * the Part 10 reader on the same files: PN as `{Alphabetic}` and IS/DS as JSON numbers, as the
 * reader gives; but no File Meta group (0002,xxxx), private elements included, Pixel Data and
 * other OB/OW values (and trailing padding FFFC,FFFC) as `BulkDataURI`, and an empty sequence as
 * `{vr: 'SQ'}` without `Value` where the reader gives `Value: []`. The converter's output is the
 * same for both (test/dicomweb/contract.int.test.ts).
 *
 * @returns the datasets, or `undefined` when the server does not know the study (404).
 * @throws InvalidUidError before any request when `studyInstanceUid` is not a DICOM UID.
 * @throws DicomWebError for any other HTTP status, a timeout, an unreachable server or a body
 *   that is not a JSON array of objects.
 */
export async function fetchStudyMetadata(
  client: DicomWebClient,
  studyInstanceUid: string,
): Promise<Dataset[] | undefined> {
  const uid = assertValidUid(studyInstanceUid);
  const url = `${client.baseUrl}/studies/${uid}/metadata`;
  let body: unknown;
  try {
    body = await runRequest(client, url, 'WADO-RS study metadata', (request) =>
      client.api.retrieveStudyMetadata({ studyInstanceUID: uid, request: request as never }),
    );
  } catch (error) {
    if (error instanceof DicomWebError && error.status === 404) return undefined;
    throw error;
  }
  // xhr2 turns a body that is not JSON into `null` rather than an error.
  if (!Array.isArray(body) || !body.every(isDataset)) {
    throw new DicomWebError(
      `WADO-RS study metadata failed: ${url} did not answer with a JSON array of DICOM datasets`,
      { failure: 'invalid-response', url },
    );
  }
  return body;
}
