/**
 * Parses an ImagingStudy search (`GET /ImagingStudy?…` or the form of `POST /ImagingStudy/_search`)
 * into a typed `StudySearch` (FHIR R4 §3.1.1 Search). Every parameter of `parameters.ts` is
 * accepted in the forms listed there; repeated parameters are AND-ed, comma-separated values
 * OR-ed (§3.1.1.4).
 *
 * A filter is never silently dropped (§3.1.1.3.7 "Handling Errors"): an unknown or unsupported
 * parameter (or modifier) is a 400 naming every such parameter, unless the client sent
 * `Prefer: handling=lenient`; then it is ignored and left out of the `self` link, so the Bundle
 * says what was applied. A known parameter with a bad value is always a 400, and so is any
 * form of `patient`/`subject` that cannot be answered: ignoring it would return other patients'
 * studies.
 */
import type { OperationOutcome } from 'fhir/r4';
import type { DateCondition, SearchCondition, SortKey, StudySearch, TokenMatch, TokenParameter } from '../../bridge/types.js';
import { parseFhirDate } from '../../bridge/store/date-search.js';
import { normalizeSearchString } from '../../bridge/store/search-index.js';
import { isValidUid } from '../../dicomweb/uid.js';
import { badRequest, OperationOutcomeError } from '../outcomes.js';
import { FHIR_ID } from '../routes/read.js';
import { STUDY_RESULT_PARAMETERS, STUDY_SEARCH_PARAMETERS } from './parameters.js';
import { parseToken, splitValues, unescapeValue } from './values.js';

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Parameters that never change the result: accepted, not echoed in links. */
const FORMAT_PARAMETERS = new Set(['_format', '_pretty']);
const DATE_PREFIXES = ['eq', 'ne', 'lt', 'gt', 'le', 'ge', 'sa', 'eb'] as const;
const STATUSES = new Set(['registered', 'available', 'cancelled', 'entered-in-error', 'unknown']);
const SORT_KEYS: readonly SortKey[] = ['started', '_lastUpdated', '_id'];
const OID_PREFIX = 'urn:oid:';

/** Top-level elements of ImagingStudy in R4 and R5, for `_elements`. */
const IMAGINGSTUDY_ELEMENTS = new Set([
  'id', 'meta', 'implicitRules', 'language', 'text', 'contained', 'extension', 'modifierExtension',
  'identifier', 'status', 'modality', 'subject', 'encounter', 'started', 'basedOn', 'partOf', 'referrer',
  'interpreter', 'endpoint', 'numberOfSeries', 'numberOfInstances', 'procedureReference', 'procedureCode',
  'procedure', 'location', 'reasonCode', 'reasonReference', 'reason', 'note', 'description', 'series',
]);

/** FHIR `date`/`dateTime` search values (R4 §3.1.1.4.2): year, month, day, or instant with zone. */
const FHIR_DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d{1,9})?)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;

/** `name`, `name:modifier`, `name.chained`, `name:Type.chained:modifier`. */
const KEY = /^([A-Za-z_][A-Za-z0-9_-]*)(?::([A-Za-z-]+))?(?:\.([A-Za-z_][A-Za-z0-9_-]*)(?::([A-Za-z-]+))?)?$/;

export type SummaryMode = 'count' | 'data' | 'false';

export interface ParsedSearch {
  search: StudySearch;
  /** The parameters applied, as received (name with modifiers, raw value), for the `self` and paging links. */
  applied: Array<[string, string]>;
  /** Names of parameters that were ignored (lenient handling). */
  ignored: string[];
  summary?: SummaryMode;
  /** `_elements`: the top-level elements to return. */
  elements?: string[];
}

interface Key {
  name: string;
  modifier?: string;
  chain?: string;
  chainModifier?: string;
}

const UNSUPPORTED = Symbol('unsupported');
/** Any spelling that names the patient (`patient…`, `subject…`): never ignored, even under lenient handling. */
const PATIENT_PARAMETER = /^(patient|subject)([.:]|$)/;
type Parsed = SearchCondition | typeof UNSUPPORTED;

function fail(details: string, parameter: string): never {
  throw new OperationOutcomeError(badRequest(details, parameter));
}

function nonNegativeInteger(raw: string, name: string): number {
  if (!/^\d{1,9}$/.test(raw)) fail(`Parameter ${name} must be a non-negative integer`, name);
  return Number(raw);
}

function parseKey(raw: string): Key | undefined {
  const match = KEY.exec(raw);
  if (match === null) return undefined;
  const key: Key = { name: match[1] as string };
  if (match[2] !== undefined) key.modifier = match[2];
  if (match[3] !== undefined) key.chain = match[3];
  if (match[4] !== undefined) key.chainModifier = match[4];
  return key;
}

function tokens(raw: string, name: string, check: (match: TokenMatch) => string | undefined = () => undefined): TokenMatch[] {
  return splitValues(raw).map((value) => {
    const match = parseToken(value);
    if (match === undefined) fail(`Parameter ${name} needs a code or value (system|code, code or |code)`, name);
    const problem = check(match);
    if (problem !== undefined) fail(`Parameter ${name}: ${problem}`, name);
    return match;
  });
}

function plainValues(raw: string, name: string): string[] {
  return splitValues(raw).map((value) => {
    const text = unescapeValue(value).trim();
    if (text === '') fail(`Parameter ${name} needs a non-empty value`, name);
    return text;
  });
}

function dateValues(raw: string, name: string): DateCondition[] {
  return splitValues(raw).map((item) => {
    const value = unescapeValue(item);
    const match = /^([a-z]{2})?(.*)$/s.exec(value);
    const given = match?.[1];
    const date = match?.[2] ?? value;
    if (given !== undefined && !(DATE_PREFIXES as readonly string[]).includes(given)) {
      fail(`Prefix ${given} is not supported for ${name} (use ${DATE_PREFIXES.join(', ')})`, name);
    }
    if (!FHIR_DATE.test(date) || parseFhirDate(date) === undefined) {
      fail(`Parameter ${name} must be a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or an instant with zone)`, name);
    }
    return { prefix: (given ?? 'eq') as DateCondition['prefix'], value: date };
  });
}

function missing(raw: string, name: string, param: Extract<SearchCondition, { kind: 'missing' }>['param']): SearchCondition {
  if (raw !== 'true' && raw !== 'false') fail(`Parameter ${name}:missing must be true or false`, `${name}:missing`);
  return { kind: 'missing', param, missing: raw === 'true' };
}

function uidCheck(match: TokenMatch): string | undefined {
  return isValidUid(match.code) ? undefined : 'must be a DICOM UID (digits and dots, at most 64 characters)';
}

const TOKEN_CHECKS: Partial<Record<TokenParameter, (match: TokenMatch) => string | undefined>> = {
  status: (m) => (STATUSES.has(m.code) ? undefined : `must be one of ${[...STATUSES].join(', ')}`),
  modality: (m) =>
    m.system !== undefined && m.system !== '' && m.system !== 'http://dicom.nema.org/resources/ontology/DCM'
      ? undefined
      : /^[A-Z0-9_ ]{1,16}$/.test(m.code)
        ? undefined
        : 'must be DICOM modality codes (CS, e.g. CT)',
  series: uidCheck,
  instance: uidCheck,
  'dicom-class': (m) => uidCheck({ code: m.code.startsWith(OID_PREFIX) ? m.code.slice(OID_PREFIX.length) : m.code }),
};

/** Plain token parameters: no modifier or `:missing` (and `:text` for coded ones). */
function tokenParameter(param: TokenParameter, key: Key, raw: string, textModifier = false): Parsed {
  if (key.chain !== undefined) return UNSUPPORTED;
  if (key.modifier === 'missing') return missing(raw, key.name, param);
  if (key.modifier === 'text' && textModifier) {
    return { kind: 'text', param: param as 'reason' | 'bodysite', anyOf: plainValues(raw, `${key.name}:text`).map(normalizeSearchString) };
  }
  if (key.modifier !== undefined) return UNSUPPORTED;
  if (param === '_id') {
    return {
      kind: 'token',
      param,
      anyOf: plainValues(raw, key.name).map((code) => {
        if (!FHIR_ID.test(code)) fail('Parameter _id must be FHIR ids (letters, digits, - and ., at most 64)', '_id');
        return { code };
      }),
    };
  }
  return { kind: 'token', param, anyOf: tokens(raw, key.name, TOKEN_CHECKS[param]) };
}

const REFERENCE_TYPES: Record<string, string> = { patient: 'Patient', subject: 'Patient', basedon: 'ServiceRequest', referrer: 'Practitioner' };

/** `patient`, `subject`, `basedon`, `referrer`: answered by the referenced resource's identifiers (and the referrer's name). */
function referenceParameter(key: Key, raw: string): Parsed {
  const param = (key.name === 'subject' ? 'patient' : key.name) as 'patient' | 'basedon' | 'referrer';
  const typed = key.modifier !== undefined && key.modifier === REFERENCE_TYPES[key.name];
  if (key.chain === undefined) {
    if (key.modifier === 'missing') return missing(raw, key.name, param);
    if (key.modifier === 'identifier') return { kind: 'token', param, anyOf: tokens(raw, `${key.name}:identifier`) };
    if (key.modifier === undefined) {
      fail(
        `The reference ${key.name}=${raw} cannot be resolved: studies hold this resource contained, without a server id. ` +
          `Search by its identifier instead: ${key.name}:identifier=system|value`,
        key.name,
      );
    }
    return UNSUPPORTED;
  }
  if (key.modifier !== undefined && !typed) return UNSUPPORTED;
  if (key.chain === 'identifier' && key.chainModifier === undefined) {
    return { kind: 'token', param, anyOf: tokens(raw, `${key.name}.identifier`) };
  }
  if (param === 'referrer' && key.chain === 'name') {
    const match = key.chainModifier === undefined ? 'starts' : key.chainModifier;
    if (match !== 'starts' && match !== 'exact' && match !== 'contains') return UNSUPPORTED;
    const values = plainValues(raw, 'referrer.name');
    return { kind: 'string', param: 'referrer.name', match, anyOf: match === 'exact' ? values : values.map(normalizeSearchString) };
  }
  return UNSUPPORTED;
}

function parseCondition(key: Key, raw: string): Parsed | undefined {
  switch (key.name) {
    case '_id':
    case 'identifier':
    case 'status':
    case 'modality':
    case 'series':
    case 'instance':
    case 'dicom-class':
      return tokenParameter(key.name, key, raw);
    case 'bodysite':
    case 'reason':
      return tokenParameter(key.name, key, raw, true);
    case 'started':
    case '_lastUpdated':
      if (key.chain !== undefined) return UNSUPPORTED;
      if (key.modifier === 'missing') return missing(raw, key.name, key.name);
      if (key.modifier !== undefined) return UNSUPPORTED;
      return { kind: 'date', param: key.name, anyOf: dateValues(raw, key.name) };
    case 'patient':
    case 'subject':
    case 'basedon':
    case 'referrer':
      return referenceParameter(key, raw);
    default:
      return undefined;
  }
}

function single(query: Record<string, string[]>, name: string): string | undefined {
  const values = query[name];
  if (values === undefined) return undefined;
  if (values.length > 1) fail(`Parameter ${name} may appear only once`, name);
  return values[0];
}

function parseSort(raw: string): NonNullable<StudySearch['sort']> {
  return raw.split(',').map((item) => {
    const descending = item.startsWith('-');
    const key = (descending ? item.slice(1) : item) as SortKey;
    if (!SORT_KEYS.includes(key)) fail(`_sort supports ${SORT_KEYS.join(', ')} (with - for descending), not ${item}`, '_sort');
    return { key, descending };
  });
}

function parseElements(values: string[]): string[] {
  const elements = new Set<string>();
  for (const raw of values) {
    for (const item of raw.split(',')) {
      const name = item.trim().replace(/^ImagingStudy\./, '');
      if (!IMAGINGSTUDY_ELEMENTS.has(name)) fail(`_elements: ${item} is not an element of ImagingStudy`, '_elements');
      elements.add(name);
    }
  }
  return [...elements];
}

const RESULT_NAMES = new Set(STUDY_RESULT_PARAMETERS.map((p) => p.name));

function unknownParameters(names: string[]): OperationOutcome {
  const supported = [...STUDY_SEARCH_PARAMETERS, ...STUDY_RESULT_PARAMETERS].map((p) => p.name).join(', ');
  const issues = names.map(
    (name) =>
      badRequest(
        `Unknown or unsupported search parameter ${name} for ImagingStudy (supported: ${supported}). ` +
          'Send Prefer: handling=lenient to have it ignored.',
        name,
      ).issue[0]!,
  );
  return { ...badRequest(''), issue: issues };
}

export interface ParseOptions {
  /** `Prefer: handling=lenient`: unknown or unsupported parameters are ignored instead of refused. */
  lenient?: boolean;
}

/** @throws OperationOutcomeError with a 400 outcome naming the parameter(s). */
export function parseStudySearch(query: Record<string, string[]>, options: ParseOptions = {}): ParsedSearch {
  const ignored: string[] = [];
  const applied: Array<[string, string]> = [];
  const conditions: SearchCondition[] = [];
  for (const [name, values] of Object.entries(query)) {
    if (FORMAT_PARAMETERS.has(name) || RESULT_NAMES.has(name)) continue;
    const key = parseKey(name);
    for (const raw of values) {
      const parsed = key === undefined ? undefined : parseCondition(key, raw);
      if (parsed === undefined || parsed === UNSUPPORTED) {
        const patient = PATIENT_PARAMETER.exec(name)?.[1];
        if (patient !== undefined) {
          fail(`${name} is not supported: the patient can be searched by its identifier only (${patient}:identifier=system|value or ${patient}.identifier=system|value)`, name);
        }
        if (!ignored.includes(name)) ignored.push(name);
        continue;
      }
      conditions.push(parsed);
      applied.push([name, raw]);
    }
  }
  if (ignored.length > 0 && options.lenient !== true) throw new OperationOutcomeError(unknownParameters(ignored));

  const count = Math.min(nonNegativeInteger(single(query, '_count') ?? String(DEFAULT_COUNT), '_count'), MAX_COUNT);
  const offset = nonNegativeInteger(single(query, '_offset') ?? '0', '_offset');
  const search: StudySearch = { count, offset };
  if (conditions.length > 0) search.conditions = conditions;
  const result: ParsedSearch = { search, applied, ignored };

  const sort = single(query, '_sort');
  if (sort !== undefined) {
    search.sort = parseSort(sort);
    applied.push(['_sort', sort]);
  }
  const total = single(query, '_total');
  if (total !== undefined) {
    if (total !== 'none' && total !== 'estimate' && total !== 'accurate') fail('_total must be none, estimate or accurate', '_total');
    if (total === 'none') search.total = false;
    applied.push(['_total', total]);
  }
  const summary = single(query, '_summary');
  if (summary !== undefined) {
    if (summary !== 'count' && summary !== 'data' && summary !== 'false') {
      fail(`_summary=${summary} is not supported (use count, data or false)`, '_summary');
    }
    result.summary = summary;
    if (summary === 'count') {
      search.count = 0;
      delete search.total;
    }
    applied.push(['_summary', summary]);
  }
  const elements = query._elements;
  if (elements !== undefined) {
    result.elements = parseElements(elements);
    applied.push(['_elements', result.elements.join(',')]);
  }
  return result;
}

/** The query string that reproduces a parsed search at another offset (`self`/`next`/`previous` links). */
export function formatStudySearch(parsed: Pick<ParsedSearch, 'applied' | 'search'>, offset: number): string {
  const params = new URLSearchParams();
  for (const [name, value] of parsed.applied) params.append(name, value);
  params.append('_count', String(parsed.search.count));
  params.append('_offset', String(offset));
  return params.toString();
}
