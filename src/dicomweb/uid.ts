/**
 * DICOM UID syntax check (PS3.5 §9.1: digits and dots, no empty component, at most 64
 * characters). Every UID is checked before it is placed in a URL, so a crafted value such as
 * `../../instances` can never reach another server path (SPEC §4, Security).
 */
const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;
export const MAX_UID_LENGTH = 64;

export function isValidUid(value: string): boolean {
  return value.length <= MAX_UID_LENGTH && UID_PATTERN.test(value);
}

/** Thrown for a value that is not a syntactically valid DICOM UID; the value is not echoed. */
export class InvalidUidError extends Error {
  override readonly name = 'InvalidUidError';
  constructor(readonly length: number) {
    super(
      `not a valid DICOM UID (expected digits separated by dots, at most ${MAX_UID_LENGTH} characters; got ${length} characters)`,
    );
  }
}

export function assertValidUid(value: string): string {
  if (!isValidUid(value)) throw new InvalidUidError(value.length);
  return value;
}
