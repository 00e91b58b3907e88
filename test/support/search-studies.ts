/**
 * Studies for search tests, as DICOM JSON datasets (PS3.18 §F.2) that the real converter turns
 * into ImagingStudy resources: each option sets the DICOM elements a search parameter reads
 * (Patient ID and issuer, accession, modality, body part, reason code, referring physician…).
 */
import type { Dataset, DicomElement } from '../../src/dicom/dataset.js';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';

export interface SearchStudyOptions {
  uid: string;
  patientId?: string;
  /** Issuer of Patient ID: an OID becomes the identifier's system (`urn:oid:…`). */
  patientIssuer?: string;
  accession?: string;
  /** Issuer of Accession Number as a Universal Entity ID (an OID). */
  accessionIssuer?: string;
  modality?: string;
  /** DICOM DA `YYYYMMDD`. */
  date?: string;
  /** DICOM TM. */
  time?: string;
  /** Timezone Offset From UTC, e.g. `+0100`. */
  offset?: string;
  bodyPart?: string;
  /** Reason for Requested Procedure Code Sequence item (ICD-10 when the scheme is I10). */
  reason?: { code: string; scheme: string; meaning: string };
  /** Reason for the Requested Procedure as text. */
  reasonText?: string;
  /** PN `Family^Given`. */
  referrer?: string;
  referrerId?: { id: string; scheme: string };
  sopClass?: string;
  /** Instances in the one series; default 2. */
  instances?: number;
}

const el = (vr: string, ...values: Array<string | number | object>): DicomElement => ({ vr, Value: values as DicomElement['Value'] });
const code = (value: string, scheme: string, meaning: string): Dataset => ({
  '00080100': el('SH', value),
  '00080102': el('SH', scheme),
  '00080104': el('LO', meaning),
});

/** The series UID of a study built here. */
export const seriesUidOf = (uid: string): string => `${uid}.1`;
/** The SOP Instance UID of instance `n` (1-based). */
export const instanceUidOf = (uid: string, n: number): string => `${uid}.1.${n}`;

export function searchStudyDatasets(options: SearchStudyOptions): Dataset[] {
  const common: Dataset = { '0020000D': el('UI', options.uid), '0020000E': el('UI', seriesUidOf(options.uid)), '00200011': el('IS', 1) };
  if (options.patientId !== undefined) common['00100020'] = el('LO', options.patientId);
  if (options.patientIssuer !== undefined) common['00100021'] = el('LO', options.patientIssuer);
  if (options.accession !== undefined) common['00080050'] = el('SH', options.accession);
  if (options.accessionIssuer !== undefined) {
    common['00080051'] = el('SQ', { '00400032': el('UT', options.accessionIssuer), '00400033': el('CS', 'ISO') });
  }
  common['00080060'] = el('CS', options.modality ?? 'CT');
  if (options.date !== undefined) common['00080020'] = el('DA', options.date);
  if (options.time !== undefined) common['00080030'] = el('TM', options.time);
  if (options.offset !== undefined) common['00080201'] = el('SH', options.offset);
  if (options.bodyPart !== undefined) common['00180015'] = el('CS', options.bodyPart);
  if (options.reason !== undefined) common['0040100A'] = el('SQ', code(options.reason.code, options.reason.scheme, options.reason.meaning));
  if (options.reasonText !== undefined) common['00401002'] = el('LO', options.reasonText);
  if (options.referrer !== undefined) common['00080090'] = el('PN', { Alphabetic: options.referrer });
  if (options.referrerId !== undefined) common['00080096'] = el('SQ', { '00401101': el('SQ', code(options.referrerId.id, options.referrerId.scheme, 'Person ID')) });
  const datasets: Dataset[] = [];
  for (let n = 1; n <= (options.instances ?? 2); n += 1) {
    datasets.push({
      ...common,
      '00080016': el('UI', options.sopClass ?? CT_IMAGE_STORAGE),
      '00080018': el('UI', instanceUidOf(options.uid, n)),
      '00200013': el('IS', n),
    });
  }
  return datasets;
}
