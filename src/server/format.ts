/**
 * Content negotiation (FHIR R4 §3.1.0.1.9 "Content Types and encodings"): the API speaks JSON only.
 * `_format` (which overrides `Accept`) may name JSON in any of its accepted spellings; an
 * `Accept` header must admit JSON (`application/fhir+json`, `application/json`, `application/*`,
 * `*\/*`, with a non-zero quality). Anything else (XML, Turtle) is a 406 rather than a silent
 * JSON answer to a client that asked for another encoding.
 */
import { notAcceptable, OperationOutcomeError } from './outcomes.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
const JSON_RANGES = new Set(['application/json', 'application/fhir+json', 'application/json+fhir', 'application/*', '*/*']);

/** Whether a `_format` value names JSON (parameters such as `; charset=utf-8` allowed). */
export function isJsonFormat(format: string): boolean {
  const mediaType = format.split(';')[0]?.trim().toLowerCase() ?? '';
  return JSON_FORMATS.has(mediaType);
}

/** Whether an `Accept` header (RFC 9110 §12.5.1) admits JSON; no header admits anything. */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type === undefined || !JSON_RANGES.has(type)) return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** @throws a 406 OperationOutcome when neither `_format` nor `Accept` lets the answer be JSON. */
export function checkFormat(format: string | undefined, accept?: string): void {
  if (format !== undefined) {
    if (!isJsonFormat(format)) throw new OperationOutcomeError(notAcceptable(`_format=${format} cannot be produced: this server answers JSON only (_format=json or application/fhir+json)`));
    return;
  }
  if (!acceptsJson(accept)) {
    throw new OperationOutcomeError(notAcceptable('Accept names no encoding this server produces: it answers application/fhir+json only'));
  }
}
