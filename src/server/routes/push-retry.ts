/**
 * `POST /push/retry` (admin): puts parked pushes back in the outbox once the data or the FHIR
 * server is fixed (SPEC §2.7). Body (JSON, optional): `{"studyInstanceUid": "1.2.3"}` for one
 * study, nothing for all; `"allowSubjectChange": true` when a person confirms that the study
 * moves to another patient (a PACS correction). Answers `{"retried": n}`.
 */
import type { RetryRequest } from '../../push/outbox.js';
import { allOk, badRequest, OperationOutcomeError } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';

/** DICOM UID syntax (PS3.5 §9.1), at most 64 characters. */
const UID = /^[0-9]+(\.[0-9]+)*$/;

export interface PushRetryDeps {
  retry(request: RetryRequest): number;
}

/** The request from the body, with the same names accepted as query parameters; anything else is a 400. */
export function parseRetryRequest(req: Pick<FhirRequest, 'body' | 'query'>): RetryRequest {
  const body = req.body === undefined || req.body === null || (typeof req.body === 'object' && Object.keys(req.body).length === 0) ? {} : req.body;
  if (typeof body !== 'object' || Array.isArray(body)) throw new OperationOutcomeError(badRequest('the body must be a JSON object'));
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'studyInstanceUid' && key !== 'allowSubjectChange') throw new OperationOutcomeError(badRequest(`unknown field ${JSON.stringify(key).slice(0, 80)}`));
  }
  const uid = fields.studyInstanceUid ?? req.query.studyInstanceUid?.[0];
  const allow = fields.allowSubjectChange ?? (req.query.allowSubjectChange?.[0] === undefined ? undefined : req.query.allowSubjectChange[0] === 'true');
  if (uid !== undefined && (typeof uid !== 'string' || uid.length > 64 || !UID.test(uid))) {
    throw new OperationOutcomeError(badRequest('studyInstanceUid must be a DICOM UID (digits and dots, at most 64 characters)', 'studyInstanceUid'));
  }
  if (allow !== undefined && typeof allow !== 'boolean') throw new OperationOutcomeError(badRequest('allowSubjectChange must be true or false', 'allowSubjectChange'));
  if (allow === true && uid === undefined) {
    throw new OperationOutcomeError(badRequest('allowSubjectChange confirms the move of one study: give its studyInstanceUid', 'studyInstanceUid'));
  }
  return { ...(uid === undefined ? {} : { studyInstanceUid: uid }), ...(allow === true ? { allowSubjectChange: true } : {}) };
}

export async function pushRetry(req: FhirRequest, deps: PushRetryDeps): Promise<FhirResponse> {
  return [allOk, { retried: deps.retry(parseRetryRequest(req)) }];
}
