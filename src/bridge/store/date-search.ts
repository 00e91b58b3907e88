/**
 * FHIR date search on `ImagingStudy.started` (FHIR R4 §3.1.1.5.8 / R5 §3.2.1.5.9): the value
 * is compared with the study's start at the coarser of the two precisions, so `started=2024-03`
 * matches every study of March 2024 and `started=ge2024-03-01T10:00:00+01:00` compares to the
 * second. Dates are compared as written (the study's local date, SPEC §2.5); when both sides
 * carry a time and an offset they are compared as UTC instants; a search time without an offset
 * is compared with the study's local wall-clock time.
 */

/** `sa` (starts after) and `eb` (ends before) equal `gt` and `lt` here: a start is one point at its precision. */
export type DatePrefix = 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge' | 'sa' | 'eb';

/** Precision levels: 1 year, 2 month, 3 day, 4 minute, 5 second, 6 millisecond. */
export interface FhirDateValue {
  precision: number;
  /** Components as written: year, month, day, hour, minute, second, millisecond. */
  parts: number[];
  /** Offset from UTC in minutes, when a time with `Z` or `±hh:mm` was given. */
  offsetMinutes?: number;
}

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Parses a FHIR date, dateTime or instant (search values may also stop at minutes); undefined when malformed. */
export function parseFhirDate(value: string): FhirDateValue | undefined {
  const m = DATE_TIME.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const parts = [Number(y)];
  if (mo !== undefined) parts.push(Number(mo));
  if (d !== undefined) parts.push(Number(d));
  if (h !== undefined && mi !== undefined) parts.push(Number(h), Number(mi));
  if (s !== undefined) parts.push(Number(s));
  if (frac !== undefined) parts.push(Number(frac.slice(0, 3).padEnd(3, '0')));
  const [year, month = 1, day = 1, hour = 0, minute = 0, second = 0] = parts;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year ?? 0, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  const precision = parts.length === 1 ? 1 : parts.length === 2 ? 2 : parts.length === 3 ? 3 : parts.length - 1;
  const result: FhirDateValue = { precision, parts };
  if (tz !== undefined) {
    result.offsetMinutes = tz === 'Z' ? 0 : (tz.startsWith('-') ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
  }
  return result;
}

/** Components of the value shifted to UTC (only meaningful when a time and an offset exist). */
function utcParts(value: FhirDateValue): number[] {
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, ms = 0] = value.parts;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms) - (value.offsetMinutes ?? 0) * 60_000;
  const u = new Date(t);
  return [u.getUTCFullYear(), u.getUTCMonth() + 1, u.getUTCDate(), u.getUTCHours(), u.getUTCMinutes(), u.getUTCSeconds(), u.getUTCMilliseconds()];
}

/** Number of leading components that make up a precision level. */
function componentCount(precision: number): number {
  return precision <= 3 ? precision : precision + 1;
}

/** -1, 0 or 1: the target (study start) before, within or after the search value, at the common precision. */
export function compareAtCommonPrecision(target: FhirDateValue, search: FhirDateValue): number {
  const precision = Math.min(target.precision, search.precision);
  const utc = precision >= 4 && target.offsetMinutes !== undefined && search.offsetMinutes !== undefined;
  const a = utc ? utcParts(target) : target.parts;
  const b = utc ? utcParts(search) : search.parts;
  const n = componentCount(precision);
  for (let i = 0; i < n; i += 1) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function prefixMatches(prefix: DatePrefix, comparison: number): boolean {
  switch (prefix) {
    case 'eq':
      return comparison === 0;
    case 'ne':
      return comparison !== 0;
    case 'lt':
    case 'eb':
      return comparison < 0;
    case 'gt':
    case 'sa':
      return comparison > 0;
    case 'le':
      return comparison <= 0;
    case 'ge':
      return comparison >= 0;
  }
}

/** Whether a study started at `started` matches `prefix value`; a study without a start matches nothing. */
export function startedMatches(started: string | undefined | null, prefix: DatePrefix, search: FhirDateValue): boolean {
  if (started === undefined || started === null) return false;
  const target = parseFhirDate(started);
  if (target === undefined) return false;
  return prefixMatches(prefix, compareAtCommonPrecision(target, search));
}

/**
 * Sort key for "most recent first": the UTC instant when the start has a time and an offset,
 * else the date as written. Both forms begin with `YYYY-MM-DD`, so the order is stable and
 * deterministic.
 */
export function startedSortKey(started: string | undefined): string | null {
  if (started === undefined) return null;
  const value = parseFhirDate(started);
  if (value === undefined) return null;
  if (value.precision >= 4 && value.offsetMinutes !== undefined) {
    const [y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0, ms = 0] = utcParts(value);
    const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
    return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}Z`;
  }
  return started;
}
