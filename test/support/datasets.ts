/** DICOM JSON (PS3.18 §F.2) literals for converter tests: a rich two-series study and helpers to vary it. */
import type { Dataset, DicomElement } from '../../src/dicom/dataset.js';

export const STUDY_UID = '1.2.826.0.1.3680043.8.498.1';
export const CT_SERIES_UID = `${STUDY_UID}.1`;
export const SR_SERIES_UID = `${STUDY_UID}.2`;
export const CT_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.2';
export const SR_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.88.22';

const v = (vr: string, ...values: (string | number | object)[]): DicomElement => ({ vr, Value: values as DicomElement['Value'] });
export const text = (vr: string, ...values: string[]): DicomElement => v(vr, ...values);
export const num = (vr: string, ...values: number[]): DicomElement => v(vr, ...values);
export const pn = (...alphabetic: (string | { Alphabetic?: string; Ideographic?: string; Phonetic?: string })[]): DicomElement =>
  v('PN', ...alphabetic.map((a) => (typeof a === 'string' ? { Alphabetic: a } : a)));
export const sq = (...items: Dataset[]): DicomElement => v('SQ', ...items);
export const code = (value: string, scheme: string, meaning: string): Dataset => ({
  '00080100': text('SH', value),
  '00080102': text('SH', scheme),
  '00080104': text('LO', meaning),
});
export const personId = (id: string, scheme: string): Dataset => ({ '00401101': sq(code(id, scheme, 'Person ID')) });

/** Patient, study and order elements shared by every instance of the rich study. */
export function studyElements(): Dataset {
  return {
    '00080005': text('CS', 'ISO_IR 192'),
    '00080020': text('DA', '20240315'),
    '00080030': text('TM', '101530.25'),
    '00080201': text('SH', '+0100'),
    '00080050': text('SH', 'ACC-2024-0001'),
    '00080051': sq({ '00400031': text('UT', 'RIS'), '00400032': text('UT', '1.2.826.0.1.3680043.8.498.99'), '00400033': text('CS', 'ISO') }),
    '00080090': pn('Referrer^Rita^^Dr.'),
    '00080096': sq(personId('REF-77', '99HOSP')),
    '00081030': text('LO', 'CT Chest with contrast'),
    '00081032': sq(code('24627-2', 'LN', 'CT Chest')),
    '00081040': text('LO', 'Radiology East'),
    '00100010': pn({ Alphabetic: 'Yamada^Tarou^^Mr.', Ideographic: '山田^太郎' }),
    '00100020': text('LO', 'MRN-12345'),
    '00100021': text('LO', '1.2.826.0.1.3680043.8.498.7'),
    '00100030': text('DA', '19700401'),
    '00100032': text('TM', '0830'),
    '00100040': text('CS', 'M'),
    '00101020': text('DS', '1.75'),
    '00101030': text('DS', '72.5'),
    '00101040': text('LO', '1 Main Street, Springfield'),
    '00102154': text('SH', '+1 555 0100', '+1 555 0101'),
    '00102160': text('SH', 'Not Hispanic'),
    '0020000D': text('UI', STUDY_UID),
    '00200010': text('SH', 'S-42'),
    '00321064': sq(code('RPID4', 'RADLEX', 'CT chest with IV contrast')),
    '00401001': text('SH', 'RP-9'),
    '0040100A': sq(code('R05', 'I10', 'Cough')),
    '00402016': text('LO', 'PLACER-1'),
    '00402017': text('LO', 'FILLER-1'),
  };
}

/** One CT image of series 1 (number `n`). */
export function ctInstance(n: number): Dataset {
  return {
    ...studyElements(),
    '00080008': text('CS', 'ORIGINAL', 'PRIMARY', 'AXIAL'),
    '00080016': text('UI', CT_SOP_CLASS),
    '00080018': text('UI', `${CT_SERIES_UID}.${n}`),
    '00080021': text('DA', '20240315'),
    '00080031': text('TM', '1016'),
    '00080060': text('CS', 'CT'),
    '0008103E': text('LO', 'Axial 1.25mm'),
    '00081050': pn('Performer^Paul'),
    '00081052': sq(personId('PERF-1', '99HOSP')),
    '00081070': pn('Operator^Olga'),
    '00180015': text('CS', 'CHEST'),
    '0020000E': text('UI', CT_SERIES_UID),
    '00200011': num('IS', 1),
    '00200013': num('IS', n),
    '00200060': text('CS', 'B'),
  };
}

/** The structured report of series 2. */
export function srInstance(): Dataset {
  return {
    ...studyElements(),
    '00080016': text('UI', SR_SOP_CLASS),
    '00080018': text('UI', `${SR_SERIES_UID}.1`),
    '00080060': text('CS', 'SR'),
    '0008103E': text('LO', 'Report'),
    '0020000E': text('UI', SR_SERIES_UID),
    '00200011': num('IS', 2),
    '00200013': num('IS', 1),
    '0040A043': sq(code('18748-4', 'LN', 'Diagnostic imaging study')),
    '00081050': pn('Performer^Paul'),
    '00081052': sq(personId('PERF-1', '99HOSP')),
    '00400560': sq({ '00400551': text('LO', 'SPEC-1'), '00400562': sq({ '00400032': text('UT', '1.2.3.4.5'), '00400033': text('CS', 'ISO') }) }),
  };
}

/** Three CT images and one SR: every SPEC §2 row has a source element somewhere. */
export function richStudy(): Dataset[] {
  return [ctInstance(1), ctInstance(2), ctInstance(3), srInstance()];
}

/** The minimum that makes a study: UIDs only. */
export function bareInstance(series: string, sop: string): Dataset {
  return {
    '0020000D': text('UI', STUDY_UID),
    '0020000E': text('UI', series),
    '00080018': text('UI', sop),
    '00080016': text('UI', CT_SOP_CLASS),
  };
}

/** A copy of `ds` with elements replaced (`undefined` deletes). */
export function withElements(ds: Dataset, changes: Record<string, DicomElement | undefined>): Dataset {
  const out: Dataset = { ...ds };
  for (const [tag, element] of Object.entries(changes)) {
    if (element === undefined) delete out[tag];
    else out[tag] = element;
  }
  return out;
}

/** Deterministic Fisher–Yates shuffle (seeded LCG), so a failing order can be reproduced. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
