/** Puts the conversions of several studies (`--split`) into one JSON document. */
import type { BundleEntry as BundleEntryR4 } from 'fhir/r4';
import type { BundleEntry as BundleEntryR5 } from 'fhir/r5';
import type { Conversion, ConversionOutput, OutputFormat } from '../convert/options.js';

type Entry = BundleEntryR4 | BundleEntryR5;

export interface Combined {
  json: ConversionOutput;
  /** fullUrls met twice with different content; the first (lowest Study Instance UID) was kept. */
  conflicts: string[];
}

function entriesOf(conversion: Conversion): Entry[] {
  const resource = conversion.resource;
  if (resource.resourceType !== 'Bundle') {
    throw new Error(`expected a Bundle for study ${conversion.studyInstanceUid}, got ${resource.resourceType}`);
  }
  return (resource.entry ?? []) as Entry[];
}

/**
 * ImagingStudy format: a `collection` Bundle with one ImagingStudy entry per study (FHIR R4
 * §2.36.1: a collection is a set of resources with no processing rules).
 *
 * Bundle format: ONE `transaction` Bundle with every study's entries, deduplicated by fullUrl —
 * the converter derives fullUrls deterministically from identifiers, so two studies of one
 * patient name the same Patient entry, and a transaction may not hold one fullUrl twice
 * (FHIR R4 bdl-7). Entries without fullUrl are all kept.
 */
export function combineOutputs(outputs: readonly Conversion[], format: OutputFormat): Combined {
  if (format === 'imagingstudy') {
    const entry = outputs.map((o) => ({ resource: o.resource }));
    return { json: { resourceType: 'Bundle', type: 'collection', entry } as ConversionOutput, conflicts: [] };
  }
  const byUrl = new Map<string, string>();
  const entry: Entry[] = [];
  const conflicts: string[] = [];
  for (const conversion of outputs) {
    for (const item of entriesOf(conversion)) {
      const url = item.fullUrl;
      if (url === undefined) {
        entry.push(item);
        continue;
      }
      const text = JSON.stringify(item);
      const seen = byUrl.get(url);
      if (seen === undefined) {
        byUrl.set(url, text);
        entry.push(item);
      } else if (seen !== text && !conflicts.includes(url)) {
        conflicts.push(url);
      }
    }
  }
  return { json: { resourceType: 'Bundle', type: 'transaction', entry } as ConversionOutput, conflicts };
}
