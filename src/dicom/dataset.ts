/**
 * The converter's only input: one dataset per SOP instance in the DICOM JSON model
 * (PS3.18 §F.2). WADO-RS metadata has this shape already; the Part 10 reader produces it.
 * Accessors return `undefined` (or an empty list) for absent or empty values, so callers
 * never see `""` and never cast.
 */
import type { TagKey } from './tags.js';

/** A PN value (PS3.18 §F.2.2): up to three component groups. */
export interface PersonNameValue {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

export type DicomValue = string | number | PersonNameValue | Dataset | null;

export interface DicomElement {
  vr: string;
  Value?: DicomValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

/** Keys are 8 upper-case hex digits, e.g. `0020000D`. */
export type Dataset = Record<string, DicomElement | undefined>;

function values(ds: Dataset, tag: TagKey): DicomValue[] {
  return ds[tag]?.Value ?? [];
}

function asText(value: DicomValue): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' ? undefined : text;
}

/** First value as trimmed text; `undefined` when absent or empty. Numbers are rendered as text. */
export function getString(ds: Dataset, tag: TagKey): string | undefined {
  const first = values(ds, tag)[0];
  return first === undefined ? undefined : asText(first);
}

/** Every non-empty value as trimmed text (multi-valued elements such as Image Type). */
export function getStrings(ds: Dataset, tag: TagKey): string[] {
  const out: string[] = [];
  for (const value of values(ds, tag)) {
    const text = asText(value);
    if (text !== undefined) out.push(text);
  }
  return out;
}

/**
 * First value as a finite number. IS and DS arrive as JSON numbers from most servers and as
 * strings from some; both are accepted.
 */
export function getNumber(ds: Dataset, tag: TagKey): number | undefined {
  const first = values(ds, tag)[0];
  if (typeof first === 'number') return Number.isFinite(first) ? first : undefined;
  const text = first === undefined ? undefined : asText(first);
  if (text === undefined) return undefined;
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function isPersonName(value: DicomValue): value is PersonNameValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    ('Alphabetic' in value || 'Ideographic' in value || 'Phonetic' in value)
  );
}

/** Every PN value that has at least one non-empty component group. */
export function getPersonNames(ds: Dataset, tag: TagKey): PersonNameValue[] {
  const out: PersonNameValue[] = [];
  for (const value of values(ds, tag)) {
    if (typeof value === 'string' && value.trim() !== '') out.push({ Alphabetic: value });
    else if (isPersonName(value) && (value.Alphabetic || value.Ideographic || value.Phonetic)) {
      out.push(value);
    }
  }
  return out;
}

/** Items of a sequence (SQ); empty when absent. */
export function getSequence(ds: Dataset, tag: TagKey): Dataset[] {
  const out: Dataset[] = [];
  for (const value of values(ds, tag)) {
    if (typeof value === 'object' && value !== null) out.push(value as Dataset);
  }
  return out;
}
