/**
 * Builds the `searchset` Bundle of an ImagingStudy search (FHIR R4 §3.1.1.2 and Bundle §2.36):
 * `total` counts every match, `link` carries self/next/previous with the applied parameters
 * only, and each entry has its `fullUrl` and `search.mode = match`.
 */
import type { Bundle, BundleEntry, BundleLink, Resource } from 'fhir/r4';
import type { SearchResult, StudySearch } from '../../bridge/types.js';
import { formatStudySearch } from './parse.js';

export function buildSearchBundle(baseUrl: string, search: StudySearch, result: SearchResult): Bundle {
  const searchUrl = (offset: number): string => `${baseUrl}/ImagingStudy?${formatStudySearch(search, offset)}`;
  const link: BundleLink[] = [{ relation: 'self', url: searchUrl(search.offset) }];
  if (search.count > 0 && search.offset + search.count < result.total) {
    link.push({ relation: 'next', url: searchUrl(search.offset + search.count) });
  }
  if (search.offset > 0) {
    link.push({ relation: 'previous', url: searchUrl(Math.max(0, search.offset - Math.max(search.count, 1))) });
  }
  const entry: BundleEntry[] = result.studies.flatMap((study) =>
    study.resource === undefined
      ? []
      : [{ fullUrl: `${baseUrl}/ImagingStudy/${study.id}`, resource: study.resource as Resource, search: { mode: 'match' as const } }],
  );
  return { resourceType: 'Bundle', type: 'searchset', total: result.total, link, entry };
}
