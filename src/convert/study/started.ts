/** A dataset's date + time element pair → FHIR dateTime, reporting every value it had to drop (SPEC §2.5). */
import { getString, type Dataset } from '../../dicom/dataset.js';
import { Tag, type TagKey } from '../../dicom/tags.js';
import type { ConversionIssue } from '../options.js';
import { toFhirDate } from '../values/date.js';
import { toFhirDateTime } from '../values/datetime.js';
import { fromDicomOffset, type OffsetResolver } from '../values/offset.js';
import { toFhirTime } from '../values/time.js';

export interface DateTimeSource {
  /** Names the pair in issues, e.g. `Study Date/Time (0008,0020/0030)`. Never a value: dates may be PHI. */
  label: string;
  date: TagKey;
  time: TagKey;
}

/**
 * Study or series start. The offset is the dataset's own Timezone Offset From UTC, else the
 * configured zone; a malformed offset, an invalid date or an invalid time is reported and
 * left out rather than guessed.
 */
export function startedOf(
  ds: Dataset,
  source: DateTimeSource,
  resolveOffset: OffsetResolver | undefined,
  issues: ConversionIssue[],
): string | undefined {
  const da = getString(ds, source.date);
  const tm = getString(ds, source.time);
  const rawOffset = getString(ds, Tag.TimezoneOffsetFromUTC);
  const offset = fromDicomOffset(rawOffset);
  if (rawOffset !== undefined && offset === undefined) {
    issues.push({ code: 'invalid-value', message: 'Timezone Offset From UTC (0008,0201) is malformed; ignored' });
  }
  const date = toFhirDate(da);
  if (da !== undefined && date === undefined) {
    issues.push({ code: 'invalid-value', message: `${source.label}: the date is not a valid DA; omitted` });
  }
  if (date !== undefined && tm !== undefined && toFhirTime(tm) === undefined) {
    issues.push({ code: 'invalid-value', message: `${source.label}: the time is not a valid TM; date kept alone` });
  }
  return toFhirDateTime(da, tm, offset, resolveOffset);
}
