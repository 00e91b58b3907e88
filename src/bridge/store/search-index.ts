/**
 * The search index rows of one stored ImagingStudy (FHIR R4 ImagingStudy search parameters),
 * taken from the resource when it is written so a search never parses stored JSON. Works on the
 * R4 and the R5 shapes alike (R5 turns modality into CodeableConcept, reasonCode into `reason`
 * CodeableReference and bodySite into a CodeableReference).
 *
 * - token rows `(param, system, code)`: `system` is `''` for a value without a system, which is
 *   what the FHIR token form `|code` asks for (R4 §3.1.1.4.1);
 * - string rows `(param, value, normalized)` for the string-like searches (the referrer's names,
 *   the text of reasons and body sites);
 * - the parameters whose element is present, for `:missing` (R4 §3.1.1.5.12).
 *
 * Reference parameters (`patient`, `basedon`, `referrer`) are indexed by the identifiers of what
 * they point to: the contained resource the local reference `#id` names, or the logical
 * reference's own `identifier`.
 */
import type { ImagingStudy } from '../../convert/options.js';

export const IMAGINGSTUDY_STATUS_SYSTEM = 'http://hl7.org/fhir/imagingstudy-status';

export interface TokenRow {
  param: string;
  system: string;
  code: string;
}

export interface StringRow {
  param: string;
  value: string;
  normalized: string;
}

export interface SearchIndexRows {
  tokens: TokenRow[];
  strings: StringRow[];
  /** Search parameters whose element the study has (the complement is `:missing=true`). */
  present: string[];
}

interface CodingLike {
  system?: unknown;
  code?: unknown;
  display?: unknown;
}
interface ConceptLike {
  coding?: CodingLike[];
  text?: unknown;
  /** R5 CodeableReference */
  concept?: ConceptLike;
}
interface IdentifierLike {
  system?: unknown;
  value?: unknown;
}
interface ReferenceLike {
  reference?: unknown;
  identifier?: IdentifierLike;
  display?: unknown;
}
interface ContainedLike {
  resourceType?: unknown;
  id?: unknown;
  identifier?: IdentifierLike[];
  name?: Array<{ text?: unknown; family?: unknown; given?: unknown[]; prefix?: unknown[]; suffix?: unknown[] }>;
}

/**
 * String search normalisation (R4 §3.1.1.5.3: case- and accent-insensitive): NFD without
 * combining marks, lower case, runs of spaces as one.
 */
export function normalizeSearchString(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Codings of a Coding, a CodeableConcept or an R5 CodeableReference. */
function codingsOf(value: unknown): CodingLike[] {
  if (value === null || typeof value !== 'object') return [];
  const item = value as ConceptLike & CodingLike;
  if (item.concept !== undefined) return codingsOf(item.concept);
  if (Array.isArray(item.coding)) return item.coding;
  return item.code !== undefined ? [item] : [];
}

function textsOf(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  const item = value as ConceptLike & CodingLike;
  if (item.concept !== undefined) return textsOf(item.concept);
  const texts = [text(item.text), ...codingsOf(item).map((coding) => text(coding.display))];
  return texts.filter((t): t is string => t !== undefined);
}

class RowCollector implements SearchIndexRows {
  readonly tokens: TokenRow[] = [];
  readonly strings: StringRow[] = [];
  private readonly presentSet = new Set<string>();
  private readonly seen = new Set<string>();

  get present(): string[] {
    return [...this.presentSet].sort();
  }

  mark(param: string): void {
    this.presentSet.add(param);
  }

  token(param: string, system: unknown, code: unknown): void {
    const value = text(code);
    if (value === undefined) return;
    const row = { param, system: text(system) ?? '', code: value };
    const key = `t\u0000${row.param}\u0000${row.system}\u0000${row.code}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.tokens.push(row);
  }

  string(param: string, value: unknown): void {
    const given = text(value);
    if (given === undefined) return;
    const key = `s\u0000${param}\u0000${given}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.strings.push({ param, value: given, normalized: normalizeSearchString(given) });
  }

  concept(param: string, value: unknown): void {
    for (const coding of codingsOf(value)) this.token(param, coding.system, coding.code);
    for (const t of textsOf(value)) this.string(`${param}:text`, t);
  }

  identifiers(param: string, identifiers: IdentifierLike[] | undefined): void {
    for (const identifier of identifiers ?? []) this.token(param, identifier.system, identifier.value);
  }
}

function containedById(resource: ImagingStudy): Map<string, ContainedLike> {
  const byId = new Map<string, ContainedLike>();
  for (const item of (resource.contained ?? []) as ContainedLike[]) {
    if (typeof item.id === 'string') byId.set(`#${item.id}`, item);
  }
  return byId;
}

/** What a reference points to: the contained resource of a local reference, if any. */
function target(reference: ReferenceLike | undefined, contained: Map<string, ContainedLike>): ContainedLike | undefined {
  return typeof reference?.reference === 'string' ? contained.get(reference.reference) : undefined;
}

function referenceRows(rows: RowCollector, param: string, reference: ReferenceLike | undefined, contained: Map<string, ContainedLike>): void {
  if (reference === undefined) return;
  rows.mark(param);
  if (reference.identifier !== undefined) rows.identifiers(param, [reference.identifier]);
  rows.identifiers(param, target(reference, contained)?.identifier);
}

export function extractSearchIndex(resource: ImagingStudy): SearchIndexRows {
  const rows = new RowCollector();
  const contained = containedById(resource);
  const study = resource as ImagingStudy & {
    reasonCode?: unknown[];
    reason?: unknown[];
    referrer?: ReferenceLike;
    basedOn?: ReferenceLike[];
    subject?: ReferenceLike;
  };

  if ((resource.identifier ?? []).length > 0) rows.mark('identifier');
  rows.identifiers('identifier', resource.identifier);
  rows.mark('status');
  rows.token('status', IMAGINGSTUDY_STATUS_SYSTEM, resource.status);

  for (const modality of (resource.modality ?? []) as unknown[]) rows.concept('modality', modality);
  for (const series of resource.series ?? []) {
    rows.mark('series');
    rows.token('series', '', series.uid);
    rows.concept('modality', series.modality);
    if (series.bodySite !== undefined) {
      rows.mark('bodysite');
      rows.concept('bodysite', series.bodySite);
    }
  }
  if (rows.tokens.some((row) => row.param === 'modality')) rows.mark('modality');

  for (const reason of [...(study.reasonCode ?? []), ...(study.reason ?? [])]) {
    rows.mark('reason');
    rows.concept('reason', reason);
  }

  const subject = study.subject;
  const subjectTarget = target(subject, contained);
  // `patient` is `subject` restricted to a Patient (R4 ImagingStudy search parameter `patient`).
  if (subject !== undefined && (subjectTarget === undefined || subjectTarget.resourceType === 'Patient')) {
    referenceRows(rows, 'patient', subject, contained);
  }

  for (const order of study.basedOn ?? []) referenceRows(rows, 'basedon', order, contained);

  const referrer = study.referrer;
  referenceRows(rows, 'referrer', referrer, contained);
  if (referrer !== undefined) {
    rows.string('referrer.name', referrer.display);
    for (const name of target(referrer, contained)?.name ?? []) {
      for (const part of [name.text, name.family, ...(name.given ?? []), ...(name.prefix ?? []), ...(name.suffix ?? [])]) {
        rows.string('referrer.name', part);
      }
    }
  }
  return { tokens: rows.tokens, strings: rows.strings, present: rows.present };
}
