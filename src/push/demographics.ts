/** Birth date and sex of a DICOM header against the server's Patient (SPEC §2.7): what may link, what must be refused. */
import type { Patient } from 'fhir/r4';

/**
 * FHIR dates of different precision (`1970`, `1970-04`, `1970-04-01`) compared at the coarser
 * precision of the two: `1970` and `1970-04-01` agree, `1971` and `1970-04-01` do not. An absent
 * date conflicts with nothing.
 */
export function birthDatesConflict(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a === '' || b === '') return false;
  const length = Math.min(a.length, b.length);
  return a.slice(0, length) !== b.slice(0, length);
}

/** `unknown` or an absent gender conflicts with nothing; `other` is a value like any other. */
export function gendersConflict(a: Patient['gender'], b: Patient['gender']): boolean {
  if (a === undefined || b === undefined || a === 'unknown' || b === 'unknown') return false;
  return a !== b;
}

/** The names of the fields that differ (never their values: they are patient data). */
export function demographicConflicts(dicom: Patient, server: Patient): string[] {
  const out: string[] = [];
  if (birthDatesConflict(dicom.birthDate, server.birthDate)) out.push('birth date');
  if (gendersConflict(dicom.gender, server.gender)) out.push('sex');
  return out;
}
