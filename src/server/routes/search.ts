/**
 * `GET /ImagingStudy?…` and `POST /ImagingStudy/_search` (FHIR R4 §3.1.1 search): parse, ask the
 * store, wrap in a searchset Bundle. `answerStudySearch` is where a search knows which studies
 * it returned (and which parameters it applied), for whoever records access.
 */
import type { Bundle } from 'fhir/r4';
import type { StudyStore } from '../../bridge/types.js';
import { allOk, badRequest, OperationOutcomeError } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';
import { buildSearchBundle } from '../search/bundle.js';
import { parseStudySearch } from '../search/parse.js';

export interface SearchDeps {
  store: Pick<StudyStore, 'search'>;
}

/** RFC 7240 `Prefer: handling=lenient` (FHIR R4 §3.1.1.3.7): unknown parameters ignored instead of refused. */
export function wantsLenientHandling(prefer: string | undefined): boolean {
  return prefer !== undefined && /(^|[,;\s])handling\s*=\s*"?lenient"?(?![\w-])/i.test(prefer);
}

export interface StudySearchAnswer {
  bundle: Bundle;
  /** Study Instance UIDs of the studies the Bundle returns, in its order. */
  studyInstanceUids: string[];
  /** Names of the parameters applied (with modifiers), never their values. */
  parameterNames: string[];
}

export function answerStudySearch(req: FhirRequest, deps: SearchDeps): StudySearchAnswer {
  const parsed = parseStudySearch(req.query, { lenient: wantsLenientHandling(req.headers.prefer) });
  const result = deps.store.search(parsed.search);
  return {
    bundle: buildSearchBundle(req.baseUrl, parsed, result),
    studyInstanceUids: result.studies.map((study) => study.studyInstanceUid),
    parameterNames: [...new Set(parsed.applied.map(([name]) => name))],
  };
}

export async function searchImagingStudy(req: FhirRequest, deps: SearchDeps): Promise<FhirResponse> {
  return [allOk, answerStudySearch(req, deps).bundle];
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * The parameters of `POST /ImagingStudy/_search` (R4 §3.1.1.1.1): those of the URL and those of
 * the `application/x-www-form-urlencoded` body, together.
 */
export function searchFormParameters(query: Record<string, string[]>, contentType: string | undefined, body: unknown): Record<string, string[]> {
  const text = typeof body === 'string' ? body : '';
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== FORM && !(mediaType === undefined && text === '')) {
    throw new OperationOutcomeError(badRequest(`POST /ImagingStudy/_search takes its parameters as ${FORM}`));
  }
  const merged: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(query)) merged[name] = [...values];
  for (const [name, value] of new URLSearchParams(text)) (merged[name] ??= []).push(value);
  return merged;
}
