/** UTC offsets: DICOM Timezone Offset From UTC, configured fixed offsets and IANA zones → `±HH:MM`. */

/** PS3.3 C.12.1.1.8 Timezone Offset From UTC: `&ZZXX`, e.g. `+0100`, `-0500`. */
const DICOM_OFFSET_PATTERN = /^([+-])(\d{2})(\d{2})$/;
/** Configuration form `+01:00` (also `+0100`, `Z`). */
const FIXED_OFFSET_PATTERN = /^([+-])(\d{2}):?(\d{2})$/;

function formatOffset(sign: string, hh: string, mm: string): string | undefined {
  const hours = Number(hh);
  const minutes = Number(mm);
  if (minutes > 59 || hours > 14 || (hours === 14 && minutes > 0)) return undefined;
  if (sign === '-' && hours > 12) return undefined;
  return `${sign}${hh}:${mm}`;
}

/** Timezone Offset From UTC (0008,0201) → `±HH:MM`; malformed or out-of-range → `undefined`. */
export function fromDicomOffset(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = DICOM_OFFSET_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const [, sign = '+', hh = '', mm = ''] = match;
  return formatOffset(sign, hh, mm);
}

/**
 * Gives the UTC offset that applied at a local wall-clock date-time, or `undefined` when it
 * cannot be written in FHIR (`±HH:MM`): local mean times before a zone adopted standard time
 * had offsets with seconds (Asia/Kolkata before 1942: +05:21:10).
 */
export type OffsetResolver = (localDate: string, localTime: string) => string | undefined;

/**
 * Builds the resolver for the `timezone` option: a fixed offset (`+01:00`, `Z`) or an IANA
 * zone (`Europe/Berlin`), whose offset depends on the date (daylight saving time), so it is
 * looked up for each local date-time with `Intl.DateTimeFormat`. Throws a RangeError for a
 * value that is neither, since a wrong zone would shift every study silently.
 */
export function createOffsetResolver(timezone: string): OffsetResolver {
  const text = timezone.trim();
  if (text === 'Z' || text.toUpperCase() === 'UTC') return () => '+00:00';
  const fixed = FIXED_OFFSET_PATTERN.exec(text);
  if (fixed) {
    const [, sign = '+', hh = '', mm = ''] = fixed;
    const offset = formatOffset(sign, hh, mm);
    if (offset === undefined) throw new RangeError(`timezone offset out of range: ${timezone}`);
    return () => offset;
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: text, timeZoneName: 'longOffset' });
  } catch (error) {
    throw new RangeError(`unknown time zone: ${timezone}`, { cause: error });
  }
  /** Offset in seconds east of UTC at an instant; Intl writes it as `GMT`, `GMT+01:00` or `GMT+05:21:10`. */
  const offsetSecondsAt = (epochMs: number): number => {
    const name = format.formatToParts(new Date(epochMs)).find((p) => p.type === 'timeZoneName')?.value;
    const match = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name ?? '');
    if (!match) throw new RangeError(`time zone ${timezone} gave an unreadable offset: ${name ?? ''}`);
    const [, sign, hh = '0', mm = '0', ss = '0'] = match;
    if (sign === undefined) return 0;
    const seconds = Number(hh) * 3600 + Number(mm) * 60 + Number(ss);
    return sign === '-' ? -seconds : seconds;
  };
  return (localDate, localTime) => {
    const [y = 0, mo = 1, d = 1] = localDate.split('-').map(Number);
    const [h = 0, mi = 0, s = 0] = localTime.split(':').map((part) => Math.floor(Number(part)));
    const asIfUtc = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59));
    // The offset at the wall-clock instant read as UTC, then corrected once: this settles on
    // the offset in force at that local time, also across a DST change.
    const first = offsetSecondsAt(asIfUtc);
    const seconds = offsetSecondsAt(asIfUtc - first * 1000);
    if (seconds % 60 !== 0) return undefined;
    const minutes = seconds / 60;
    const sign = minutes < 0 ? '-' : '+';
    const abs = Math.abs(minutes);
    return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  };
}
