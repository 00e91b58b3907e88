/** DICOM code sequence items → FHIR Coding / CodeableConcept (PS3.3 §8.8 Code Sequence Macro; SPEC §2.7). */
import type { CodeableConcept, Coding } from 'fhir/r4';
import { getString, type Dataset } from '../../dicom/dataset.js';
import { Tag } from '../../dicom/tags.js';
import { DCM_SYSTEM, LOINC_SYSTEM, SNOMED_SYSTEM, UCUM_SYSTEM } from '../systems.js';

/** Coding Scheme Designator (PS3.16 §8 table 8-1) → FHIR system URI. SRT is the retired SNOMED designator. */
const DESIGNATOR_SYSTEMS: Readonly<Record<string, string>> = {
  SCT: SNOMED_SYSTEM,
  SRT: SNOMED_SYSTEM,
  LN: LOINC_SYSTEM,
  DCM: DCM_SYSTEM,
  RADLEX: 'http://radlex.org',
  UCUM: UCUM_SYSTEM,
  I10: 'http://hl7.org/fhir/sid/icd-10',
};

/** A URI or URN given as designator (allowed since PS3.3 §8.2 for URN Code Value schemes). */
const URI_PATTERN = /^(?:urn:[a-z0-9][a-z0-9-]*:\S+|https?:\/\/\S+)$/i;

/** The FHIR system for a designator, or `undefined` when it is not known to be one. */
export function designatorToSystem(designator: string | undefined): string | undefined {
  if (designator === undefined) return undefined;
  const known = DESIGNATOR_SYSTEMS[designator.toUpperCase()];
  if (known !== undefined) return known;
  return URI_PATTERN.test(designator) ? designator : undefined;
}

/**
 * Code Value, else Long Code Value, else URN Code Value (PS3.3 §8.1–8.3). A known designator
 * becomes `system`; an unknown one (local `99…` schemes) is kept in the concept text as
 * `<designator>:<code>` next to the meaning, because a FHIR system must be a URI.
 */
export function toCodeableConcept(item: Dataset): CodeableConcept | undefined {
  const code =
    getString(item, Tag.CodeValue) ?? getString(item, Tag.LongCodeValue) ?? getString(item, Tag.URNCodeValue);
  const meaning = getString(item, Tag.CodeMeaning);
  const designator = getString(item, Tag.CodingSchemeDesignator);
  if (code === undefined) return meaning === undefined ? undefined : { text: meaning };
  const system = designatorToSystem(designator);
  const coding: Coding = {};
  if (system !== undefined) coding.system = system;
  const version = system !== undefined ? getString(item, Tag.CodingSchemeVersion) : undefined;
  if (version !== undefined) coding.version = version;
  coding.code = code.replace(/\s+/g, ' ');
  if (meaning !== undefined) coding.display = meaning;
  const concept: CodeableConcept = { coding: [coding] };
  if (system === undefined && designator !== undefined) {
    concept.text = meaning === undefined ? `${designator}:${code}` : `${meaning} (${designator}:${code})`;
  } else if (meaning !== undefined) {
    concept.text = meaning;
  }
  return concept;
}

/** Every item of a code sequence that has a code or a meaning. */
export function toCodeableConcepts(items: readonly Dataset[]): CodeableConcept[] {
  const out: CodeableConcept[] = [];
  for (const item of items) {
    const concept = toCodeableConcept(item);
    if (concept !== undefined) out.push(concept);
  }
  return out;
}
