/** Why a study was not published (SPEC §2.7): a reason code for machines, one paragraph for people, no patient data in either. */

export type RefusalCode =
  /** The server's Patient with the study's patient identifier has another birth date or sex. */
  | 'patient-demographics-conflict'
  /** `existing` patient mode and the server has no Patient with that identifier. */
  | 'patient-not-found'
  /** Several server resources carry an identifier that must be unique (a Patient, order, Practitioner…). */
  | 'ambiguous-match'
  /** The server's order with the study's accession belongs to another Patient. */
  | 'order-of-other-patient'
  /** The server's copy of the ImagingStudy belongs to another Patient; a person must confirm the move. */
  | 'study-of-other-patient';

export const REFUSAL_CODES: readonly RefusalCode[] = [
  'patient-demographics-conflict',
  'patient-not-found',
  'ambiguous-match',
  'order-of-other-patient',
  'study-of-other-patient',
];

/** A push refused before anything was written; retrying is useless until the data (or a person's decision) changes. */
export class IdentityRefusal extends Error {
  readonly code: RefusalCode;
  readonly studyInstanceUid: string | undefined;

  constructor(code: RefusalCode, message: string, studyInstanceUid?: string) {
    super(message);
    this.name = 'IdentityRefusal';
    this.code = code;
    this.studyInstanceUid = studyInstanceUid;
  }
}
