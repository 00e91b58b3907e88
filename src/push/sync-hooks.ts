/** Connects the bridge's sync service to the push outbox: each stored version is queued as its transaction Bundle. */
import type { Bundle } from 'fhir/r4';
import type { Conversion, ConvertOptions } from '../convert/options.js';
import type { Dataset } from '../dicom/dataset.js';
import type { PutOutcome, StoredStudy } from '../bridge/types.js';
import type { PushOutbox } from './outbox.js';

export interface PushSyncHooksOptions {
  outbox: Pick<PushOutbox, 'onStored' | 'onDeleted'>;
  /** The converter (`convertStudy`); called again on the same datasets with `format: 'bundle'`. */
  convert: (datasets: Dataset[], options: ConvertOptions) => Conversion;
  /** The options the sync service converts with (endpoint, time zone, id strategy…). */
  convertOptions: ConvertOptions;
}

export interface PushSyncHooks {
  onStored(study: StoredStudy, outcome: Exclude<PutOutcome, 'unchanged'>, datasets: Dataset[]): void;
  onDeleted(studyInstanceUid: string): void;
}

/**
 * The `onStored`/`onDeleted` hooks of the sync service. The Bundle form (SPEC §2) is converted
 * from the very datasets of the stored version and queued with it, so the outbox row holds
 * exactly what the server must receive even if the store moves on before the row is sent. A
 * conversion error is thrown to the sync service, which counts and logs hook failures.
 */
export function pushSyncHooks(options: PushSyncHooksOptions): PushSyncHooks {
  // What is queued creates an absent Patient; the outbox's server check enforces the patient mode.
  const bundleOptions: ConvertOptions = {
    ...options.convertOptions,
    format: 'bundle',
    fhirVersion: options.convertOptions.fhirVersion ?? 'R4',
    patientMode: 'create',
  };
  return {
    onStored(study, outcome, datasets) {
      const conversion = options.convert(datasets, bundleOptions);
      if (conversion.resource.resourceType !== 'Bundle') {
        throw new Error(`the converter returned a ${conversion.resource.resourceType} for study ${study.studyInstanceUid}, expected a Bundle`);
      }
      options.outbox.onStored(study, outcome, conversion.resource as Bundle);
    },
    onDeleted(studyInstanceUid) {
      options.outbox.onDeleted(studyInstanceUid);
    },
  };
}
