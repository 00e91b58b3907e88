/** Shares equal element values between consecutive datasets of a folder, so each run of equal values is held once. */
import type { Dataset, DicomElement, DicomValue, PersonNameValue } from '../dicom/dataset.js';

/** A person name value as the reader makes it: a plain object of at most the three string groups. */
function isPlainName(value: object): value is PersonNameValue {
  for (const key in value) {
    if (key !== 'Alphabetic' && key !== 'Ideographic' && key !== 'Phonetic') return false;
  }
  return true;
}

/**
 * `Object.is`, so that even 0 and -0 stay apart; person names compared group by group, sequence
 * items as JSON.
 */
function sameValue(a: DicomValue, b: DicomValue): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (isPlainName(a) && isPlainName(b)) return a.Alphabetic === b.Alphabetic && a.Ideographic === b.Ideographic && a.Phonetic === b.Phonetic;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Deep equality of two elements of the DICOM JSON model; strings and numbers compared directly. */
export function sameElement(a: DicomElement, b: DicomElement): boolean {
  if (a === b) return true;
  if (a.vr !== b.vr || a.InlineBinary !== b.InlineBinary || a.BulkDataURI !== b.BulkDataURI) return false;
  const x = a.Value;
  const y = b.Value;
  if (x === undefined || y === undefined) return x === y;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    if (!sameValue(x[i] as DicomValue, y[i] as DicomValue)) return false;
  }
  return true;
}

/**
 * In a series most elements (patient, study, series, equipment, acquisition) carry the same
 * value in every instance, and a folder's files come in path order, which keeps a series'
 * files together. Handing out the previous dataset's element object when the value is equal
 * makes a batch of datasets cheap to pass between threads (structured clone keeps shared
 * references, HTML §2.7.5) and to hold while the study waits to be converted. Comparing with
 * the previous dataset only costs a few comparisons per element, where a table of every value
 * seen would cost a key string and a hash. The converter only reads datasets, so sharing is
 * invisible to it.
 */
export class ElementInterner {
  private previous: Dataset = {};

  /** Replaces, in `dataset` itself, each element equal to the previous dataset's by that one. */
  intern(dataset: Dataset): Dataset {
    const previous = this.previous;
    for (const key of Object.keys(dataset)) {
      const before = previous[key];
      if (before !== undefined && sameElement(before, dataset[key] as DicomElement)) dataset[key] = before;
    }
    this.previous = dataset;
    return dataset;
  }
}
