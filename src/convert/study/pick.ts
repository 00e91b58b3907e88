/** First-dataset-that-has lookups over datasets in output order: cheap and order-independent study fields. */
import { getString, type Dataset } from '../../dicom/dataset.js';
import { Tag, type TagKey } from '../../dicom/tags.js';
import { fromDicomOffset } from '../values/offset.js';

function hasValue(ds: Dataset, tag: TagKey): boolean {
  const element = ds[tag];
  if (element?.Value === undefined) return false;
  for (const value of element.Value) {
    if (value === null) continue;
    if (typeof value === 'string' && value.trim() === '') continue;
    return true;
  }
  return false;
}

/**
 * The first dataset (in the converter's sorted order) that carries a non-empty `tag`.
 * Study- and patient-level elements are read from it instead of merging all datasets: it costs
 * one look per field for consistent studies, and because the order is sorted, datasets that
 * disagree still give the same answer whatever order they arrived in.
 */
export function firstWith(datasets: readonly Dataset[], tag: TagKey): Dataset | undefined {
  for (const ds of datasets) if (hasValue(ds, tag)) return ds;
  return undefined;
}

/** Whether any dataset has the element at all, even empty (type 2 elements: present-but-empty). */
export function anyPresent(datasets: readonly Dataset[], tag: TagKey): boolean {
  for (const ds of datasets) if (ds[tag] !== undefined) return true;
  return false;
}

/** The text of `tag` in the first dataset that has it. */
export function firstString(datasets: readonly Dataset[], tag: TagKey): string | undefined {
  const ds = firstWith(datasets, tag);
  return ds === undefined ? undefined : getString(ds, tag);
}

/** Timezone Offset From UTC (0008,0201) of one dataset as `±HH:MM`; it applies to that dataset's dates and times. */
export function offsetOf(ds: Dataset): string | undefined {
  return fromDicomOffset(getString(ds, Tag.TimezoneOffsetFromUTC));
}
