/**
 * R4 → R5 data types for the ones the converter shares between releases. Coding,
 * CodeableConcept, Identifier and Reference have the same JSON in R4 and R5 for every element
 * written here; the TypeScript types differ only through Extension's value[x] choices, and
 * the only extensions used on these are data-absent-reason (valueCode) — in both releases.
 */
import type * as R4 from 'fhir/r4';
import type * as R5 from 'fhir/r5';

export const codingR5 = (value: R4.Coding): R5.Coding => value as unknown as R5.Coding;
export const conceptR5 = (value: R4.CodeableConcept): R5.CodeableConcept => value as unknown as R5.CodeableConcept;
export const identifierR5 = (value: R4.Identifier): R5.Identifier => value as unknown as R5.Identifier;
export const referenceR5 = (value: R4.Reference): R5.Reference => value as unknown as R5.Reference;
