/** `convertStudy`: per-instance DICOM JSON datasets of one study → ImagingStudy or transaction Bundle. */
import type { Dataset } from '../dicom/dataset.js';
import { studyBundle } from './bundle.js';
import { containedStudy } from './contained.js';
import { studyResourceId } from './ids.js';
import { buildStudyModel } from './model.js';
import type { Conversion, ConvertOptions } from './options.js';

/**
 * Converts the datasets of one study (PS3.18 §F.2 DICOM JSON, one per SOP instance) following
 * SPEC §2. Pure and deterministic: no I/O, clock or environment; datasets in any order give
 * byte-identical JSON. Throws ConversionError when the input is not exactly one study;
 * anything the study survives (duplicates, invalid values, skipped datasets) is in `issues`.
 */
export function convertStudy(datasets: readonly Dataset[], options: ConvertOptions = {}): Conversion {
  const model = buildStudyModel(datasets, options);
  const resource =
    options.format === 'bundle'
      ? studyBundle(model, options)
      : containedStudy(model, options, studyResourceId(model.uid, options, model.issues));
  return {
    resource,
    studyInstanceUid: model.uid,
    numberOfSeries: model.series.length,
    numberOfInstances: model.numberOfInstances,
    issues: model.issues,
  };
}
