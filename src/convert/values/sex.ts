/** DICOM Patient's Sex → FHIR AdministrativeGender (PS3.3 C.7.1.1; FHIR R4 administrative-gender, required). */
import type { Patient } from 'fhir/r4';

type Gender = NonNullable<Patient['gender']>;

/**
 * M male, F female, O other; an element that is present but empty or holds anything else is
 * `unknown`. `present` tells an absent element (→ no gender) from an empty one.
 */
export function toGender(sex: string | undefined, present: boolean): Gender | undefined {
  if (!present) return undefined;
  switch (sex?.trim().toUpperCase()) {
    case 'M':
      return 'male';
    case 'F':
      return 'female';
    case 'O':
      return 'other';
    default:
      return 'unknown';
  }
}
