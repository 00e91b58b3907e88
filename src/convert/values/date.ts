/** DICOM DA → FHIR date (PS3.5 §6.2 DA; FHIR R4 §2.24.0.1 date). */

const DA_PATTERN = /^(\d{4})(\d{2})(\d{2})$/;
/** ACR-NEMA 2.0 form `YYYY.MM.DD`, still written by old modalities (PS3.5 §6.2 note). */
const LEGACY_DA_PATTERN = /^(\d{4})\.(\d{2})\.(\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * `YYYYMMDD` → `YYYY-MM-DD`. Partial, out-of-range or otherwise invalid values give
 * `undefined`: a wrong date is worse than none (SPEC §2.5).
 */
export function toFhirDate(da: string | undefined): string | undefined {
  if (da === undefined) return undefined;
  const text = da.trim();
  const match = DA_PATTERN.exec(text) ?? LEGACY_DA_PATTERN.exec(text);
  if (!match) return undefined;
  const [, y = '', m = '', d = ''] = match;
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return `${y}-${m}-${d}`;
}
