/** `GET /ImagingStudy?…` (FHIR R4 §3.1.1 search): parse, ask the store, wrap in a searchset Bundle. */
import type { StudyStore } from '../../bridge/types.js';
import { allOk } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';
import { buildSearchBundle } from '../search/bundle.js';
import { parseStudySearch } from '../search/parse.js';

export interface SearchDeps {
  store: Pick<StudyStore, 'search'>;
}

/** RFC 7240 `Prefer: handling=strict` (FHIR R4 §3.1.1.3.7). */
export function wantsStrictHandling(prefer: string | undefined): boolean {
  return prefer !== undefined && /(^|[,;\s])handling\s*=\s*strict\b/i.test(prefer);
}

export async function searchImagingStudy(req: FhirRequest, deps: SearchDeps): Promise<FhirResponse> {
  const { search } = parseStudySearch(req.query, wantsStrictHandling(req.headers.prefer));
  const result = deps.store.search(search);
  return [allOk, buildSearchBundle(req.baseUrl, search, result)];
}
