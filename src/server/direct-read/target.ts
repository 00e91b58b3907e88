/**
 * Which requests the direct read may answer: `GET` or `HEAD` of exactly `/ImagingStudy/<id>`
 * with a valid FHIR id, and no query parameter but `_format` values naming JSON. Anything else
 * (another spelling of the path, a percent-encoded id, `_format=xml`, parameters the router
 * would judge) is left to the router, so it alone decides those answers.
 */
import { isJsonFormat } from '../format.js';
import { FHIR_ID } from '../routes/read.js';

const PATH_PREFIX = '/ImagingStudy/';

function onlyJsonFormats(query: string): boolean {
  for (const [name, value] of new URLSearchParams(query)) {
    if (name !== '_format' || !isJsonFormat(value)) return false;
  }
  return true;
}

/** The study id the request reads, when the direct read may answer it. */
export function directReadId(method: string | undefined, url: string | undefined): string | undefined {
  if ((method !== 'GET' && method !== 'HEAD') || url === undefined || !url.startsWith(PATH_PREFIX)) return undefined;
  const queryStart = url.indexOf('?');
  const id = url.slice(PATH_PREFIX.length, queryStart === -1 ? undefined : queryStart);
  if (!FHIR_ID.test(id)) return undefined;
  if (queryStart !== -1 && !onlyJsonFormats(url.slice(queryStart + 1))) return undefined;
  return id;
}
