/**
 * Parses `GET /ImagingStudy?…` into a typed `StudySearch` (FHIR R4 §3.1.1 Search). Only what the
 * store can answer is accepted: `identifier` (token), `modality` (token, comma = OR), `started`
 * (date with prefixes eq/ne/lt/gt/le/ge, repeated = AND), `_count`, `_offset`.
 *
 * Unknown parameters follow FHIR's default lenient handling (§3.1.1.3.7 "Handling Errors"): they
 * are ignored and left out of the `self` link, so the client sees what was applied. With
 * `Prefer: handling=strict` they are a 400. A known parameter with a bad value is always a 400.
 */
import { DCM_SYSTEM } from '../../convert/systems.js';
import { parseFhirDate } from '../../bridge/store/date-search.js';
import type { StudySearch } from '../../bridge/types.js';
import { badRequest, OperationOutcomeError } from '../outcomes.js';

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Parameters that never change the result set; accepted and not echoed as errors. */
const FORMAT_PARAMETERS = new Set(['_format', '_pretty', '_summary', '_elements']);
const SEARCH_PARAMETERS = new Set(['identifier', 'modality', 'started', '_count', '_offset']);
const DATE_PREFIXES = ['eq', 'ne', 'lt', 'gt', 'le', 'ge'] as const;
type DatePrefix = (typeof DATE_PREFIXES)[number];

/** FHIR `date`/`dateTime` search values (R4 §3.1.1.4.2): year, month, day, or instant with zone. */
const FHIR_DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d{1,9})?)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;

export interface ParsedSearch {
  search: StudySearch;
  /** Names of parameters that were ignored (lenient handling). */
  ignored: string[];
}

function fail(details: string, parameter: string): never {
  throw new OperationOutcomeError(badRequest(details, parameter));
}

function single(query: Record<string, string[]>, name: string): string | undefined {
  const values = query[name];
  if (values === undefined) return undefined;
  if (values.length > 1) fail(`Parameter ${name} may appear only once`, name);
  return values[0];
}

function nonNegativeInteger(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw)) fail(`Parameter ${name} must be a non-negative integer`, name);
  return Number(raw);
}

function parseIdentifier(raw: string): StudySearch['identifier'] {
  if (raw.includes(',')) fail('Parameter identifier accepts a single value (no comma-separated list)', 'identifier');
  const bar = raw.indexOf('|');
  if (bar < 0) {
    if (raw === '') fail('Parameter identifier must not be empty', 'identifier');
    return { value: raw };
  }
  const system = raw.slice(0, bar);
  const value = raw.slice(bar + 1);
  if (value === '') fail('Parameter identifier needs a value after "|"', 'identifier');
  return system === '' ? { value } : { system, value };
}

function parseModality(raw: string): string[] {
  return raw.split(',').map((token) => {
    const bar = token.indexOf('|');
    const system = bar < 0 ? undefined : token.slice(0, bar);
    const code = bar < 0 ? token : token.slice(bar + 1);
    if (system !== undefined && system !== '' && system !== DCM_SYSTEM) {
      fail(`Parameter modality supports only the DICOM code system ${DCM_SYSTEM}`, 'modality');
    }
    if (!/^[A-Z0-9_ ]{1,16}$/.test(code)) fail('Parameter modality must be DICOM modality codes (CS, e.g. CT)', 'modality');
    return code;
  });
}

function parseStarted(raw: string): NonNullable<StudySearch['started']>[number] {
  if (raw.includes(',')) fail('Parameter started accepts a single value per occurrence; repeat it to combine', 'started');
  const match = /^([a-z]{2})?(.*)$/s.exec(raw);
  const given = match?.[1];
  const value = match?.[2] ?? raw;
  if (given !== undefined && !(DATE_PREFIXES as readonly string[]).includes(given)) {
    fail(`Prefix ${given} is not supported for started (use ${DATE_PREFIXES.join(', ')})`, 'started');
  }
  const prefix = (given ?? 'eq') as DatePrefix;
  if (!FHIR_DATE.test(value) || parseFhirDate(value) === undefined) fail('Parameter started must be a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or an instant with zone)', 'started');
  return { prefix, value };
}

/**
 * @param strict `Prefer: handling=strict` was sent: unknown parameters are errors.
 * @throws OperationOutcomeError with a 400 outcome naming the parameter.
 */
export function parseStudySearch(query: Record<string, string[]>, strict = false): ParsedSearch {
  const ignored: string[] = [];
  for (const name of Object.keys(query)) {
    if (SEARCH_PARAMETERS.has(name) || FORMAT_PARAMETERS.has(name)) continue;
    if (strict) fail(`Unknown search parameter ${name}`, name);
    ignored.push(name);
  }
  const count = nonNegativeInteger(single(query, '_count'), '_count') ?? DEFAULT_COUNT;
  const offset = nonNegativeInteger(single(query, '_offset'), '_offset') ?? 0;
  const search: StudySearch = { count: Math.min(count, MAX_COUNT), offset };
  const identifier = single(query, 'identifier');
  if (identifier !== undefined) search.identifier = parseIdentifier(identifier);
  const modality = single(query, 'modality');
  if (modality !== undefined) search.modality = parseModality(modality);
  const started = query.started;
  if (started !== undefined) search.started = started.map(parseStarted);
  return { search, ignored };
}

/** The query string that reproduces `search` at another offset (for `self`/`next`/`previous` links). */
export function formatStudySearch(search: StudySearch, offset: number): string {
  const params = new URLSearchParams();
  if (search.identifier !== undefined) {
    const { system, value } = search.identifier;
    params.append('identifier', system === undefined ? value : `${system}|${value}`);
  }
  if (search.modality !== undefined) params.append('modality', search.modality.join(','));
  for (const { prefix, value } of search.started ?? []) params.append('started', `${prefix}${value}`);
  params.append('_count', String(search.count));
  params.append('_offset', String(offset));
  return params.toString();
}
