/** DICOM Laterality / Image Laterality → SNOMED CT Coding (PS3.3 C.7.3.1, C.8.11.6; SPEC §2.2). */
import type { Coding } from 'fhir/r4';
import { SNOMED_SYSTEM } from '../systems.js';

const LATERALITY: Readonly<Record<string, Coding>> = {
  R: { system: SNOMED_SYSTEM, code: '24028007', display: 'Right' },
  L: { system: SNOMED_SYSTEM, code: '7771000', display: 'Left' },
  B: { system: SNOMED_SYSTEM, code: '51440002', display: 'Bilateral' },
};

/** R, L, B → SNOMED; U (unpaired), empty or anything else → `undefined` (no laterality stated). */
export function toLaterality(value: string | undefined): Coding | undefined {
  if (value === undefined) return undefined;
  const coding = LATERALITY[value.trim().toUpperCase()];
  return coding === undefined ? undefined : { ...coding };
}
