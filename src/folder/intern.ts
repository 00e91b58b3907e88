/** Shares equal element values between the datasets of a folder, so each distinct value is held once. */
import type { Dataset, DicomElement } from '../dicom/dataset.js';

/** Distinct values remembered before starting afresh, so a folder of unique values cannot grow it without end. */
export const MAX_INTERNED = 65_536;

/**
 * A string equal for equal elements only: each value is spelt with a type mark, and a string
 * with its length, so no value can pass for two; person names, binary and sequences (rare, and
 * of any shape) go through JSON.
 */
function identity(key: string, element: DicomElement): string {
  const values = element.Value;
  if (values === undefined || element.InlineBinary !== undefined || element.BulkDataURI !== undefined) return `${key}${JSON.stringify(element)}`;
  let id = `${key}:${element.vr}`;
  for (const value of values) {
    if (typeof value === 'string') id += `|s${value.length}:${value}`;
    else if (typeof value === 'number') id += `|n${value}`;
    else if (value === null) id += '|z';
    else return `${key}${JSON.stringify(element)}`;
  }
  return id;
}

/**
 * In a series most elements (patient, study, series, equipment, acquisition) carry the same
 * value in every instance. Handing out one shared element object for equal values makes a
 * batch of datasets cheap to pass between threads (structured clone keeps shared references,
 * HTML §2.7.5) and to hold while the study waits to be converted. The converter only reads
 * datasets, so sharing is invisible to it.
 */
export class ElementInterner {
  private readonly known = new Map<string, DicomElement>();

  intern(dataset: Dataset): Dataset {
    const out: Dataset = {};
    for (const key of Object.keys(dataset)) {
      const element = dataset[key] as DicomElement;
      const id = identity(key, element);
      let shared = this.known.get(id);
      if (shared === undefined) {
        if (this.known.size >= MAX_INTERNED) this.known.clear();
        this.known.set(id, element);
        shared = element;
      }
      out[key] = shared;
    }
    return out;
  }
}
