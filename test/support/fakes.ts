/**
 * In-memory stand-ins for the sync service's injected dependencies (the DICOMweb source and the
 * converter are tested on their own), and a logger that keeps its lines.
 */
import type { Dataset } from '../../src/dicom/dataset.js';
import type { Conversion, ConvertOptions } from '../../src/convert/options.js';
import type { BridgeLogger } from '../../src/bridge/sync/logger.js';
import { imagingStudy } from './studies.js';

/** Logger that keeps what was logged, so tests can check that no patient data is written. */
export function memoryLogger(): BridgeLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (fields: object, message?: string): void => {
    lines.push(`${message ?? ''} ${JSON.stringify(fields)}`);
  };
  return { lines, info: log, warn: log, error: log, debug: log };
}

/** Per-instance datasets of a study with one series per modality (as WADO-RS metadata would give). */
export function datasets(uid: string, modalities: string[] = ['CT'], studyDate?: string): Dataset[] {
  return modalities.map((modality) => {
    const ds: Dataset = {
      '0020000D': { vr: 'UI', Value: [uid] },
      '00080060': { vr: 'CS', Value: [modality] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
    };
    if (studyDate !== undefined) ds['00080020'] = { vr: 'DA', Value: [studyDate] };
    return ds;
  });
}

/** Stand-in for the converter: one series per dataset modality; the endpoint URL becomes the description. */
export function fakeConvert(input: Dataset[], options: ConvertOptions): Conversion {
  const uid = String(input[0]?.['0020000D']?.Value?.[0]);
  const modalities = input.map((ds) => String(ds['00080060']?.Value?.[0]));
  const da = input[0]?.['00080020']?.Value?.[0];
  const started = typeof da === 'string' ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : undefined;
  const description = options.endpoint?.kind === 'dicomweb' ? options.endpoint.baseUrl : 'no endpoint';
  const resource = imagingStudy({ uid, modalities, description, ...(started !== undefined ? { started } : {}) });
  return { resource, studyInstanceUid: uid, numberOfSeries: modalities.length, numberOfInstances: input.length, issues: [] };
}
