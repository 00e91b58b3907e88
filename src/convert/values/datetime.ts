/** DICOM DA + TM (+ offset) → FHIR dateTime (SPEC §2.5; FHIR R4 §2.24.0.1 dateTime). */
import { toFhirDate } from './date.js';
import { toFhirTime } from './time.js';
import type { OffsetResolver } from './offset.js';

/**
 * FHIR requires a UTC offset whenever a dateTime has a time. The offset comes from Timezone
 * Offset From UTC (already converted to `±HH:MM`), else from the configured zone; with
 * neither, the date alone is returned, because appending `Z` to a local time would move the
 * study by hours. An invalid date gives `undefined`; an invalid time gives the date alone.
 */
export function toFhirDateTime(
  da: string | undefined,
  tm: string | undefined,
  offset: string | undefined,
  resolveOffset?: OffsetResolver,
): string | undefined {
  const date = toFhirDate(da);
  if (date === undefined) return undefined;
  const time = toFhirTime(tm);
  if (time === undefined) return date;
  const zone = offset ?? resolveOffset?.(date, time);
  return zone === undefined ? date : `${date}T${time}${zone}`;
}
