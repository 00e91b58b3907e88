/** Groups per-instance datasets into series and instances, sorted and de-duplicated (SPEC §2.2, §2.3). */
import { getNumber, getString, getStrings, getSequence, type Dataset } from '../../dicom/dataset.js';
import { Tag } from '../../dicom/tags.js';
import type { ConversionIssue } from '../options.js';

export interface GroupedInstance {
  uid: string;
  number: number | undefined;
  dataset: Dataset;
}

export interface GroupedSeries {
  uid: string;
  number: number | undefined;
  /** Distinct instances, sorted by number then UID. */
  instances: GroupedInstance[];
}

export interface GroupedStudy {
  /** Sorted by number then UID. */
  series: GroupedSeries[];
  /** Every kept dataset, in series then instance order: the order study-level fields are read in. */
  ordered: Dataset[];
  issues: ConversionIssue[];
}

/** A FHIR unsignedInt (R4 §2.24.0.1): IS values that are negative or fractional are not numbers here. */
export function toUnsignedInt(value: number | undefined): number | undefined {
  return value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function compareNumberThenUid(
  a: { number: number | undefined; uid: string },
  b: { number: number | undefined; uid: string },
): number {
  if (a.number !== b.number) {
    if (a.number === undefined) return 1;
    if (b.number === undefined) return -1;
    return a.number - b.number;
  }
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}

/** A content key that orders duplicates of one SOP Instance UID, so the one kept does not depend on input order. */
function tieKey(ds: Dataset): string {
  return [
    getString(ds, Tag.SOPClassUID) ?? '',
    getStrings(ds, Tag.ImageType).join('\\'),
    getString(ds, Tag.DocumentTitle) ?? '',
    getSequence(ds, Tag.ConceptNameCodeSequence).length,
    Object.keys(ds).length,
  ].join('|');
}

/**
 * Splits datasets by Series Instance UID, sorts series and instances by number then UID and
 * keeps one dataset per SOP Instance UID within a series, reporting every duplicate, every
 * dataset without Series or SOP Instance UID (skipped) — nothing is dropped silently.
 */
export function groupDatasets(datasets: readonly Dataset[]): GroupedStudy {
  const issues: ConversionIssue[] = [];
  const bySeries = new Map<string, GroupedInstance[]>();
  let missingSeries = 0;
  let missingInstance = 0;
  for (const dataset of datasets) {
    const seriesUid = getString(dataset, Tag.SeriesInstanceUID);
    if (seriesUid === undefined) {
      missingSeries += 1;
      continue;
    }
    const uid = getString(dataset, Tag.SOPInstanceUID);
    if (uid === undefined) {
      missingInstance += 1;
      continue;
    }
    const instance: GroupedInstance = { uid, number: toUnsignedInt(getNumber(dataset, Tag.InstanceNumber)), dataset };
    const list = bySeries.get(seriesUid);
    if (list === undefined) bySeries.set(seriesUid, [instance]);
    else list.push(instance);
  }
  if (missingSeries > 0) {
    issues.push({
      code: 'missing-series-uid',
      message: `${missingSeries} dataset(s) without Series Instance UID (0020,000E) were skipped`,
    });
  }
  if (missingInstance > 0) {
    issues.push({
      code: 'missing-sop-instance-uid',
      message: `${missingInstance} dataset(s) without SOP Instance UID (0008,0018) were skipped`,
    });
  }

  const series: GroupedSeries[] = [];
  for (const [uid, list] of bySeries) {
    list.sort((a, b) => {
      const order = compareNumberThenUid(a, b);
      if (order !== 0 || a.uid !== b.uid) return order;
      const ka = tieKey(a.dataset);
      const kb = tieKey(b.dataset);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    const seen = new Set<string>();
    const instances: GroupedInstance[] = [];
    let duplicates = 0;
    for (const instance of list) {
      if (seen.has(instance.uid)) {
        duplicates += 1;
        continue;
      }
      seen.add(instance.uid);
      instances.push(instance);
    }
    if (duplicates > 0) {
      issues.push({
        code: 'duplicate-instance',
        message: `series ${uid}: ${duplicates} duplicate SOP Instance UID(s) counted once`,
      });
    }
    const first = instances.find((i) => getString(i.dataset, Tag.SeriesNumber) !== undefined);
    const number = first === undefined ? undefined : toUnsignedInt(getNumber(first.dataset, Tag.SeriesNumber));
    series.push({ uid, number, instances });
  }
  series.sort(compareNumberThenUid);
  const ordered: Dataset[] = [];
  for (const s of series) for (const i of s.instances) ordered.push(i.dataset);
  return { series, ordered, issues };
}
