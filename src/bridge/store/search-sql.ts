/**
 * Turns a `StudySearch` into the WHERE and ORDER BY of a query over `studies s` and the search
 * tables (`search-tables.ts`): every condition one clause (AND), the values inside a condition
 * OR-ed (FHIR R4 §3.1.1.4 / §3.1.1.5). Values are always bound parameters; only fixed column
 * names, operators and lengths are written into the SQL text.
 */
import type { DateCondition, SearchCondition, StudySearch, TokenMatch, TokenParameter } from '../types.js';
import { parseFhirDate, type DatePrefix } from './date-search.js';
import { DICOM_UID_SYSTEM } from './index-columns.js';

/** The SQL function (registered by the store) that applies `startedMatches` to any date column. */
export const DATE_MATCH_FUNCTION = 'd2f_started_match';

const DATE_PREFIXES: readonly DatePrefix[] = ['eq', 'ne', 'lt', 'gt', 'le', 'ge', 'sa', 'eb'];
const SQL_OPERATORS: Record<DatePrefix, string> = { eq: '=', ne: '<>', lt: '<', gt: '>', le: '<=', ge: '>=', sa: '>', eb: '<' };
const DATE_COLUMNS = { started: 's.started', _lastUpdated: 's.last_updated' } as const;
const SOP_CLASS_SYSTEM = 'urn:ietf:rfc:3986';
const OID_PREFIX = 'urn:oid:';

export interface SearchSql {
  where: string;
  params: unknown[];
  orderBy: string;
}

class Clauses {
  readonly where: string[] = ['s.deleted = 0'];
  readonly params: unknown[] = [];

  add(sql: string, ...params: unknown[]): void {
    this.where.push(sql);
    this.params.push(...params);
  }
}

function anyOf(parts: Array<{ sql: string; params: unknown[] }>): { sql: string; params: unknown[] } {
  if (parts.length === 0) return { sql: '0', params: [] };
  return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
}

function checkDate(condition: DateCondition): void {
  if (!DATE_PREFIXES.includes(condition.prefix)) throw new RangeError(`unsupported date prefix ${String(condition.prefix)}`);
  if (parseFhirDate(condition.value) === undefined) throw new RangeError(`a date search value must be a FHIR date or dateTime, got ${condition.value}`);
}

function dateClause(column: string, condition: DateCondition): { sql: string; params: unknown[] } {
  checkDate(condition);
  const value = parseFhirDate(condition.value);
  if (value !== undefined && value.precision <= 3) {
    // A date-level value compares with the date as written: a string prefix comparison SQLite
    // does without calling back into JavaScript for each row.
    const length = condition.value.length;
    return {
      sql:
        `(CASE WHEN length(${column}) >= ${length} THEN substr(${column}, 1, ${length}) ${SQL_OPERATORS[condition.prefix]} ? ` +
        `ELSE ${DATE_MATCH_FUNCTION}(${column}, ?, ?) = 1 END)`,
      params: [condition.value, condition.prefix, condition.value],
    };
  }
  return { sql: `${DATE_MATCH_FUNCTION}(${column}, ?, ?) = 1`, params: [condition.prefix, condition.value] };
}

/** A token row matching `match`; for `identifier`, a bare UID also stands for its `urn:dicom:uid|urn:oid:` form. */
function tokenMatch(param: TokenParameter, match: TokenMatch): { sql: string; params: unknown[] } {
  const parts: Array<{ sql: string; params: unknown[] }> = [];
  parts.push(match.system === undefined ? { sql: 't.code = ?', params: [match.code] } : { sql: '(t.code = ? AND t.system = ?)', params: [match.code, match.system] });
  if (param === 'identifier' && (match.system === undefined || match.system === DICOM_UID_SYSTEM)) {
    parts.push({ sql: '(t.code = ? AND t.system = ?)', params: [`${OID_PREFIX}${match.code}`, DICOM_UID_SYSTEM] });
  }
  return anyOf(parts);
}

function instanceClause(param: 'instance' | 'dicom-class', matches: TokenMatch[]): { sql: string; params: unknown[] } {
  const column = param === 'instance' ? 'i.sop_instance_uid' : 'i.sop_class_uid';
  const values: string[] = [];
  for (const match of matches) {
    // Instance UIDs have no system; a SOP Class is a URI (`urn:ietf:rfc:3986|urn:oid:<uid>`), also accepted as the bare UID.
    if (param === 'instance' && match.system !== undefined && match.system !== '') continue;
    if (param === 'dicom-class' && match.system !== undefined && match.system !== SOP_CLASS_SYSTEM) continue;
    values.push(param === 'dicom-class' && match.code.startsWith(OID_PREFIX) ? match.code.slice(OID_PREFIX.length) : match.code);
  }
  if (values.length === 0) return { sql: '0', params: [] };
  return {
    sql: `s.id IN (SELECT i.study_id FROM study_instances i WHERE ${column} IN (${values.map(() => '?').join(', ')}))`,
    params: values,
  };
}

function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function missingClause(condition: Extract<SearchCondition, { kind: 'missing' }>): { sql: string; params: unknown[] } {
  let present: { sql: string; params: unknown[] };
  switch (condition.param) {
    case '_id':
    case '_lastUpdated':
      present = { sql: '1', params: [] };
      break;
    case 'started':
      present = { sql: 's.started IS NOT NULL', params: [] };
      break;
    case 'instance':
      present = { sql: 'EXISTS (SELECT 1 FROM study_instances i WHERE i.study_id = s.id)', params: [] };
      break;
    case 'dicom-class':
      present = { sql: 'EXISTS (SELECT 1 FROM study_instances i WHERE i.study_id = s.id AND i.sop_class_uid IS NOT NULL)', params: [] };
      break;
    default:
      present = { sql: 'EXISTS (SELECT 1 FROM study_elements e WHERE e.study_id = s.id AND e.param = ?)', params: [condition.param] };
  }
  return condition.missing ? { sql: `NOT ${present.sql}`, params: present.params } : present;
}

function conditionClause(condition: SearchCondition): { sql: string; params: unknown[] } {
  switch (condition.kind) {
    case 'token': {
      if (condition.param === '_id') {
        if (condition.anyOf.length === 0) return { sql: '0', params: [] };
        return { sql: `s.id IN (${condition.anyOf.map(() => '?').join(', ')})`, params: condition.anyOf.map((m) => m.code) };
      }
      if (condition.param === 'instance' || condition.param === 'dicom-class') return instanceClause(condition.param, condition.anyOf);
      const match = anyOf(condition.anyOf.map((m) => tokenMatch(condition.param, m)));
      return { sql: `s.id IN (SELECT t.study_id FROM study_tokens t WHERE t.param = ? AND ${match.sql})`, params: [condition.param, ...match.params] };
    }
    case 'text': {
      const match = anyOf(
        condition.anyOf.map((value) => ({ sql: "(x.normalized LIKE ? ESCAPE '\\' OR x.normalized LIKE ? ESCAPE '\\')", params: [`${likeEscape(value)}%`, `% ${likeEscape(value)}%`] })),
      );
      return { sql: `s.id IN (SELECT x.study_id FROM study_strings x WHERE x.param = ? AND ${match.sql})`, params: [`${condition.param}:text`, ...match.params] };
    }
    case 'string': {
      const match = anyOf(
        condition.anyOf.map((value) =>
          condition.match === 'exact'
            ? { sql: 'x.value = ?', params: [value] }
            : { sql: "x.normalized LIKE ? ESCAPE '\\'", params: [condition.match === 'contains' ? `%${likeEscape(value)}%` : `${likeEscape(value)}%`] },
        ),
      );
      return { sql: `s.id IN (SELECT x.study_id FROM study_strings x WHERE x.param = ? AND ${match.sql})`, params: [condition.param, ...match.params] };
    }
    case 'date':
      return anyOf(condition.anyOf.map((value) => dateClause(DATE_COLUMNS[condition.param], value)));
    case 'missing':
      return missingClause(condition);
  }
}

const SORT_COLUMNS = { started: 's.started_sort', _lastUpdated: 's.last_updated', _id: 's.id' } as const;

function orderBy(search: StudySearch): string {
  if (search.sort === undefined || search.sort.length === 0) return 's.started_sort IS NULL, s.started_sort DESC, s.id ASC';
  const terms: string[] = [];
  for (const { key, descending } of search.sort) {
    const column = SORT_COLUMNS[key];
    if (column === undefined) throw new RangeError(`unsupported sort key ${String(key)}`);
    // A study without a start sorts last in either direction.
    if (key === 'started') terms.push(`${column} IS NULL`);
    terms.push(`${column} ${descending ? 'DESC' : 'ASC'}`);
  }
  if (!search.sort.some((s) => s.key === '_id')) terms.push('s.id ASC');
  return terms.join(', ');
}

/** @throws RangeError for a condition the store cannot evaluate (bad date, prefix, count or offset). */
export function buildSearchSql(search: StudySearch): SearchSql {
  if (!Number.isInteger(search.count) || search.count < 0) throw new RangeError(`count must be a non-negative integer, got ${search.count}`);
  if (!Number.isInteger(search.offset) || search.offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${search.offset}`);
  const clauses = new Clauses();
  const conditions: SearchCondition[] = [];
  if (search.identifier !== undefined) {
    const { system, value } = search.identifier;
    conditions.push({ kind: 'token', param: 'identifier', anyOf: [system === undefined ? { code: value } : { system, code: value }] });
  }
  if (search.modality !== undefined && search.modality.length > 0) {
    conditions.push({ kind: 'token', param: 'modality', anyOf: search.modality.map((code) => ({ code })) });
  }
  for (const started of search.started ?? []) conditions.push({ kind: 'date', param: 'started', anyOf: [started] });
  conditions.push(...(search.conditions ?? []));
  for (const condition of conditions) {
    const { sql, params } = conditionClause(condition);
    clauses.add(sql, ...params);
  }
  return { where: clauses.where.join(' AND '), params: clauses.params, orderBy: orderBy(search) };
}
