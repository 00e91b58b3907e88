/** DICOM TM → FHIR time of day (PS3.5 §6.2 TM; FHIR R4 §2.24.0.1 time). */

/** `HH`, `HHMM`, `HHMMSS`, `HHMMSS.F{1,6}`; colons of the ACR-NEMA form `HH:MM:SS` tolerated. */
const TM_PATTERN = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.(\d{1,6}))?)?)?$/;

/**
 * `HHMMSS.FFFFFF` → `HH:MM:SS.FFFFFF`. FHIR requires seconds in a time, so missing minutes
 * and seconds become `00`; the fractional digits present are kept as they are, never padded
 * or rounded. Invalid values give `undefined`. DICOM allows second 60 (leap second), as FHIR.
 */
export function toFhirTime(tm: string | undefined): string | undefined {
  if (tm === undefined) return undefined;
  const match = TM_PATTERN.exec(tm.trim());
  if (!match) return undefined;
  const [, hh = '', mm = '00', ss = '00', fraction] = match;
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) return undefined;
  return fraction === undefined ? `${hh}:${mm}:${ss}` : `${hh}:${mm}:${ss}.${fraction}`;
}
