/**
 * The instance index: every SOP Instance UID of a study with its series and SOP Class, kept in
 * its own table apart from the stored resource, so the `instance` and `dicom-class` searches
 * (R4 ImagingStudy search parameters) still answer for a study stored without `instance[]`
 * (the converter's "no instances" option for huge studies). The sync fills it from the datasets
 * the study was converted from; a resource alone gives what its own instance lists hold.
 */
import { getString, type Dataset } from '../../dicom/dataset.js';
import { Tag } from '../../dicom/tags.js';
import type { ImagingStudy } from '../../convert/options.js';

export interface InstanceIndexEntry {
  seriesUid: string;
  sopInstanceUid: string;
  /** The bare UID (no `urn:oid:`), when known. */
  sopClassUid?: string;
}

const OID_PREFIX = 'urn:oid:';

function withoutOidPrefix(value: string): string {
  return value.startsWith(OID_PREFIX) ? value.slice(OID_PREFIX.length) : value;
}

/** One entry per distinct (series, SOP instance) of the datasets; datasets without the UIDs are left out as the converter leaves them out. */
export function instanceIndexOfDatasets(datasets: Iterable<Dataset>): InstanceIndexEntry[] {
  const entries = new Map<string, InstanceIndexEntry>();
  for (const ds of datasets) {
    const seriesUid = getString(ds, Tag.SeriesInstanceUID);
    const sopInstanceUid = getString(ds, Tag.SOPInstanceUID);
    if (seriesUid === undefined || sopInstanceUid === undefined) continue;
    const key = `${seriesUid}\u0000${sopInstanceUid}`;
    if (entries.has(key)) continue;
    const entry: InstanceIndexEntry = { seriesUid, sopInstanceUid };
    const sopClassUid = getString(ds, Tag.SOPClassUID);
    if (sopClassUid !== undefined) entry.sopClassUid = sopClassUid;
    entries.set(key, entry);
  }
  return [...entries.values()];
}

/** The entries the resource's own `series[].instance[]` lists hold (none when they were omitted). */
export function instanceIndexOfResource(resource: ImagingStudy): InstanceIndexEntry[] {
  const entries: InstanceIndexEntry[] = [];
  for (const series of resource.series ?? []) {
    for (const instance of series.instance ?? []) {
      const entry: InstanceIndexEntry = { seriesUid: series.uid, sopInstanceUid: instance.uid };
      const code = instance.sopClass?.code;
      if (typeof code === 'string' && code !== '') entry.sopClassUid = withoutOidPrefix(code);
      entries.push(entry);
    }
  }
  return entries;
}
