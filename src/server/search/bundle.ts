/**
 * Builds the `searchset` Bundle of an ImagingStudy search (FHIR R4 §3.1.1.2 and Bundle §2.36):
 * `total` counts every match (unless `_total=none`), `link` carries self/next/previous with
 * the applied parameters only, and each entry has its `fullUrl` and `search.mode = match`,
 * cut to `_elements` when asked.
 */
import type { Bundle, BundleEntry, BundleLink, Resource } from 'fhir/r4';
import type { SearchResult } from '../../bridge/types.js';
import type { FhirResource } from '../request.js';
import { selectElements, withoutText } from './elements.js';
import { formatStudySearch, type ParsedSearch } from './parse.js';

function shaped(resource: FhirResource, parsed: ParsedSearch): FhirResource {
  if (parsed.elements !== undefined) return selectElements(resource, parsed.elements);
  if (parsed.summary === 'data') return withoutText(resource);
  return resource;
}

export function buildSearchBundle(baseUrl: string, parsed: ParsedSearch, result: SearchResult): Bundle {
  const { search } = parsed;
  const searchUrl = (offset: number): string => `${baseUrl}/ImagingStudy?${formatStudySearch(parsed, offset)}`;
  const link: BundleLink[] = [{ relation: 'self', url: searchUrl(search.offset) }];
  const more = result.total === undefined ? result.more === true : search.offset + search.count < result.total;
  if (search.count > 0 && more) link.push({ relation: 'next', url: searchUrl(search.offset + search.count) });
  if (search.offset > 0) {
    link.push({ relation: 'previous', url: searchUrl(Math.max(0, search.offset - Math.max(search.count, 1))) });
  }
  const entry: BundleEntry[] = result.studies.flatMap((study) =>
    study.resource === undefined
      ? []
      : [{ fullUrl: `${baseUrl}/ImagingStudy/${study.id}`, resource: shaped(study.resource as FhirResource, parsed) as Resource, search: { mode: 'match' as const } }],
  );
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset' };
  if (result.total !== undefined) bundle.total = result.total;
  bundle.link = link;
  // FHIR forbids empty arrays: a page without matches has no `entry`.
  if (entry.length > 0) bundle.entry = entry;
  return bundle;
}
