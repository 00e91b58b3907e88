/**
 * Content negotiation (FHIR R4 §3.1.0.1.9 "Content Types and encodings"): the API speaks JSON only.
 * `_format` may name JSON in any of its accepted spellings; anything else (XML, Turtle) is a 400
 * rather than a silent JSON answer to a client that asked for another encoding.
 */
import { badRequest, OperationOutcomeError } from './outcomes.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);

/** Whether a `_format` value names JSON (parameters such as `; charset=utf-8` allowed). */
export function isJsonFormat(format: string): boolean {
  const mediaType = format.split(';')[0]?.trim().toLowerCase() ?? '';
  return JSON_FORMATS.has(mediaType);
}

export function checkFormat(format: string | undefined): void {
  if (format !== undefined && !isJsonFormat(format)) {
    throw new OperationOutcomeError(badRequest('Only JSON is supported (_format=json or application/fhir+json)', '_format'));
  }
}
