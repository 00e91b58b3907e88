/**
 * Generates, with dcmtk, one synthetic study that exercises every row of the ImagingStudy
 * mapping (SPEC §2) and every file-level case of the folder converter (SPEC §3): explicit and
 * implicit VR little endian, explicit VR big endian and deflated files in one study (two of them
 * in the same series), a file without preamble, a file without file meta information,
 * undefined-length sequences, ISO 8859-1 text, a duplicated SOP instance and junk files.
 *
 * The returned manifest states the expected FHIR values, written down from the DICOM values
 * below and the SPEC's rules — never copied from the converter's output — so a test that
 * compares against it checks the converter rather than repeating it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { codeItem, el, obValue, renderDump, sq, type DumpNode } from './dump.js';
import { runComponent } from './uids.js';

const run = promisify(execFile);

export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
export const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

export interface ExpectedCoding {
  system?: string;
  code: string;
  display?: string;
  userSelected?: boolean;
}

export interface ExpectedInstance {
  uid: string;
  sopClassUid: string;
  number: number;
  title: string;
}

export interface ExpectedSeries {
  uid: string;
  /** Absent when Series Number is empty (SPEC §2.2). */
  number?: number;
  /** Absent when the series has no Modality: then a data-absent-reason is expected. */
  modality?: string;
  description: string;
  numberOfInstances: number;
  started: string;
  bodySite?: ExpectedCoding;
  laterality?: ExpectedCoding;
  /** Family names of the performers (Performing Physician, then Operator). */
  performerFamilies: string[];
  /** Identifier values of the performers' Practitioners. */
  performerIdentifiers: string[];
  specimenIdentifier?: string;
  instances: ExpectedInstance[];
}

export interface RichStudyFile {
  /** Path relative to the study folder. */
  path: string;
  sopInstanceUid: string;
  /** How the file is encoded: what it exercises in the reader. */
  encoding:
    | 'explicit-le'
    | 'explicit-be'
    | 'implicit-le-undefined-lengths'
    | 'deflated'
    | 'no-preamble'
    | 'no-file-meta'
    | 'duplicate';
}

export interface RichStudyJunk {
  path: string;
  /** The SkipReason the reader is expected to give (SPEC §3). */
  reason: 'not-dicom' | 'truncated';
}

export interface RichStudyManifest {
  /** Absolute path of the generated study folder. */
  dir: string;
  studyInstanceUid: string;
  dicomFiles: RichStudyFile[];
  junk: RichStudyJunk[];
  /** SOP Instance UIDs that occur in more than one file. */
  duplicateSopInstanceUids: string[];
  expected: {
    numberOfSeries: number;
    numberOfInstances: number;
    started: string;
    description: string;
    /** Distinct modalities of the series, sorted. */
    modalities: string[];
    studyId: string;
    accession: { value: string; assignerDisplay: string };
    location: string;
    procedureCode: ExpectedCoding;
    reasonCode: ExpectedCoding;
    referrer: { family: string; given: string[]; prefix: string[]; identifier: string };
    patient: {
      identifier: { value: string; assignerDisplay: string; typeCode: 'MR' };
      name: { family: string; given: string[]; prefix: string[]; suffix: string[] };
      gender: 'male';
      birthDate: string;
      /** Start of the patient-birthTime extension's dateTime (its offset is the converter's choice). */
      birthTimePrefix: string;
      addressText: string;
      phones: string[];
      ethnicGroup: string;
      weightKg: number;
      heightM: number;
    };
    order: {
      accession: string;
      requestedProcedureId: string;
      placerOrderNumber: string;
      fillerOrderNumber: string;
      requestedProcedureCode: ExpectedCoding;
    };
    series: ExpectedSeries[];
  };
}

const SOP = {
  ct: '1.2.840.10008.5.1.4.1.1.2',
  mr: '1.2.840.10008.5.1.4.1.1.4',
  cr: '1.2.840.10008.5.1.4.1.1.1',
  sc: '1.2.840.10008.5.1.4.1.1.7',
  comprehensiveSr: '1.2.840.10008.5.1.4.1.1.88.33',
  encapsulatedPdf: '1.2.840.10008.5.1.4.1.1.104.1',
} as const;

/** `2.25.<12 digits>`: deterministic per name, so reruns give the same study. */
function uid(name: string): string {
  return `2.25.${runComponent(`rich-study/${name}`)}`;
}

/** Study, Patient and order attributes: the same in every file of the study. */
function studyLevel(studyUid: string): DumpNode[] {
  return [
    el('0008,0005', 'CS', 'ISO_IR 100'),
    el('0008,0020', 'DA', '20260315'),
    el('0008,0030', 'TM', '101530'),
    el('0008,0050', 'SH', 'ACC-2026-0815'),
    sq('0008,0051', [[el('0040,0031', 'UT', 'RIS-NORTH')]]),
    el('0008,0090', 'PN', 'Weber^Anna^^Dr.'),
    sq('0008,0096', [
      [
        sq('0040,1101', [codeItem('DR-123', 'L', 'Weber, Anna')]),
        el('0008,0080', 'LO', 'Klinikum Nord'),
      ],
    ]),
    el('0008,0201', 'SH', '+0100'),
    el('0008,1030', 'LO', 'CT Thorax und MR HWS'),
    sq('0008,1032', [codeItem('169069000', 'SCT', 'Computed tomography of chest')]),
    el('0008,1040', 'LO', 'Radiologie'),
    el('0010,0010', 'PN', 'Müller^Jürgen^Hans^Dr.^MD'),
    el('0010,0020', 'LO', 'PID-4711'),
    el('0010,0021', 'LO', 'St. Example Hospital'),
    el('0010,0030', 'DA', '19620714'),
    el('0010,0032', 'TM', '083000'),
    el('0010,0040', 'CS', 'M'),
    el('0010,1020', 'DS', '1.78'),
    el('0010,1030', 'DS', '82.5'),
    el('0010,1040', 'LO', 'Hauptstraße 1, 50667 Köln'),
    el('0010,2154', 'SH', '+49 221 1234567\\+49 170 7654321'),
    el('0010,2160', 'SH', 'Europäisch'),
    el('0020,000d', 'UI', studyUid),
    el('0020,0010', 'SH', 'ST-9001'),
    sq('0032,1064', [codeItem('24627-2', 'LN', 'CT Chest')]),
    el('0040,1001', 'SH', 'RP-55'),
    el('0040,1002', 'LO', 'Persistent cough'),
    sq('0040,100a', [codeItem('R05', 'I10', 'Cough')]),
    el('0040,2016', 'LO', 'PLC-1'),
    el('0040,2017', 'LO', 'FIL-2'),
  ];
}

/** A 2×2 16-bit MONOCHROME2 image (Image Pixel module, PS3.3 §C.7.6.3). */
function tinyImage(): DumpNode[] {
  return [
    el('0028,0002', 'US', 1),
    el('0028,0004', 'CS', 'MONOCHROME2'),
    el('0028,0010', 'US', 2),
    el('0028,0011', 'US', 2),
    el('0028,0100', 'US', 16),
    el('0028,0101', 'US', 12),
    el('0028,0102', 'US', 11),
    el('0028,0103', 'US', 0),
    el('7fe0,0010', 'OW', '0000\\0100\\0200\\0300'),
  ];
}

interface SeriesSpec {
  key: string;
  sopClassUid: string;
  modality: string | undefined;
  /** `''` writes an empty Series Number. */
  number: string;
  description: string;
  date: string;
  time: string;
  extra: DumpNode[];
  image: boolean;
}

function instanceDump(
  studyUid: string,
  series: SeriesSpec,
  sopUid: string,
  instanceNumber: number,
  instanceExtra: DumpNode[],
): string {
  const nodes: DumpNode[] = [
    ...studyLevel(studyUid),
    el('0008,0016', 'UI', series.sopClassUid),
    el('0008,0018', 'UI', sopUid),
    el('0008,0021', 'DA', series.date),
    el('0008,0031', 'TM', series.time),
    el('0008,103e', 'LO', series.description),
    el('0020,000e', 'UI', uid(`series/${series.key}`)),
    el('0020,0011', 'IS', series.number === '' ? undefined : series.number),
    el('0020,0013', 'IS', instanceNumber),
    ...(series.modality === undefined ? [] : [el('0008,0060', 'CS', series.modality)]),
    ...series.extra,
    ...instanceExtra,
    ...(series.image ? tinyImage() : []),
  ];
  return renderDump(nodes);
}

async function dcmtk(tool: string, args: string[]): Promise<void> {
  await run(tool, args);
}

/** Deterministic pseudo-random bytes (SHA-256 in counter mode). */
function pseudoRandomBytes(length: number, seed: string): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0; chunks.length * 32 < length; i++) {
    chunks.push(createHash('sha256').update(`${seed}/${i}`).digest());
  }
  return Buffer.concat(chunks).subarray(0, length);
}

const MINIMAL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);

/**
 * Writes the study into `dir` (created; emptied first) and returns what a correct conversion
 * must contain. Needs dcmtk's `dump2dcm` and `dcmconv` on the PATH.
 */
export async function generateRichStudy(dir: string): Promise<RichStudyManifest> {
  const root = resolve(dir);
  await rm(root, { recursive: true, force: true });
  const work = join(root, '..', `.${root.split('/').pop() ?? 'rich'}-dumps`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  for (const sub of ['ct/copy', 'mr', 'sr', 'doc', 'cr', 'sc', 'junk']) {
    await mkdir(join(root, sub), { recursive: true });
  }

  const studyUid = uid('study');
  const ct: SeriesSpec = {
    key: 'ct',
    sopClassUid: SOP.ct,
    modality: 'CT',
    number: '1',
    description: 'Thorax nativ 1.0 mm',
    date: '20260315',
    time: '101700',
    extra: [el('0018,0015', 'CS', 'Chest'), el('0008,0008', 'CS', 'ORIGINAL\\PRIMARY\\AXIAL')],
    image: true,
  };
  const mr: SeriesSpec = {
    key: 'mr',
    sopClassUid: SOP.mr,
    modality: 'MR',
    number: '2',
    description: 'HWS sagittal T2',
    date: '20260315',
    time: '1022',
    extra: [
      el('0018,0015', 'CS', 'C-SPINE'),
      el('0020,0060', 'CS', 'L'),
      el('0008,0008', 'CS', 'ORIGINAL\\PRIMARY\\M'),
      el('0008,1050', 'PN', 'Schmidt^Peter'),
      sq('0008,1052', [[sq('0040,1101', [codeItem('DR-456', 'L', 'Schmidt, Peter')])]]),
      el('0008,1070', 'PN', 'Klein^Eva'),
      sq('0008,1072', [[sq('0040,1101', [codeItem('OP-789', 'L', 'Klein, Eva')])]]),
    ],
    image: true,
  };
  const sr: SeriesSpec = {
    key: 'sr',
    sopClassUid: SOP.comprehensiveSr,
    modality: 'SR',
    number: '3',
    description: 'Befund',
    date: '20260315',
    time: '103000.123',
    extra: [
      el('0040,a040', 'CS', 'CONTAINER'),
      sq('0040,a043', [codeItem('18748-4', 'LN', 'Diagnostic imaging report')]),
      el('0040,a050', 'CS', 'SEPARATE'),
      el('0040,a491', 'CS', 'COMPLETE'),
      el('0040,a493', 'CS', 'UNVERIFIED'),
    ],
    image: false,
  };
  const doc: SeriesSpec = {
    key: 'doc',
    sopClassUid: SOP.encapsulatedPdf,
    modality: 'DOC',
    number: '4',
    description: 'Dokumente',
    date: '20260315',
    time: '095500',
    extra: [
      el('0042,0010', 'ST', 'Überweisungsschein'),
      el('0042,0012', 'LO', 'application/pdf'),
      el('0028,0301', 'CS', 'NO'),
      el('0042,0011', 'OB', obValue(MINIMAL_PDF.length % 2 === 0 ? MINIMAL_PDF : Buffer.concat([MINIMAL_PDF, Buffer.from([0])]))),
    ],
    image: false,
  };
  const cr: SeriesSpec = {
    key: 'cr',
    sopClassUid: SOP.cr,
    modality: 'CR',
    number: '',
    description: 'Hand rechts',
    date: '20260315',
    time: '104500',
    extra: [
      el('0018,0015', 'CS', 'PINKY TOE'),
      el('0020,0062', 'CS', 'R'),
      el('0008,0008', 'CS', 'ORIGINAL\\PRIMARY'),
    ],
    image: true,
  };
  const sc: SeriesSpec = {
    key: 'sc',
    sopClassUid: SOP.sc,
    modality: undefined,
    number: '6',
    description: 'Histologie Scan',
    date: '20260315',
    time: '110000',
    extra: [
      el('0008,0008', 'CS', 'DERIVED\\SECONDARY'),
      el('0008,0064', 'CS', 'WSD'),
      sq('0040,0560', [
        [
          el('0040,0551', 'LO', 'SPEC-77'),
          el('0040,0554', 'UI', uid('specimen')),
          sq('0040,0562', [[el('0040,0031', 'UT', 'PathLab')]]),
        ],
      ]),
    ],
    image: true,
  };

  const files: RichStudyFile[] = [];
  /** Renders a dump, then encodes it as asked; returns the SOP Instance UID. */
  async function write(
    series: SeriesSpec,
    instance: number,
    path: string,
    encoding: RichStudyFile['encoding'],
    instanceExtra: DumpNode[] = [],
  ): Promise<string> {
    const sopUid = uid(`sop/${series.key}/${instance}`);
    const dumpPath = join(work, `${series.key}-${instance}.dump`);
    await writeFile(dumpPath, instanceDump(studyUid, series, sopUid, instance, instanceExtra), 'latin1');
    const explicitPath = join(work, `${series.key}-${instance}.dcm`);
    await dcmtk('dump2dcm', ['-q', '+te', dumpPath, explicitPath]);
    const target = join(root, path);
    switch (encoding) {
      case 'explicit-le':
        await copyFile(explicitPath, target);
        break;
      case 'explicit-be':
        await dcmtk('dcmconv', ['-q', '+tb', explicitPath, target]);
        break;
      case 'implicit-le-undefined-lengths':
        await dcmtk('dcmconv', ['-q', '+ti', '-e', explicitPath, target]);
        break;
      case 'deflated':
        await dcmtk('dcmconv', ['-q', '+td', explicitPath, target]);
        break;
      case 'no-preamble': {
        // PS3.10 §7.1: 128-byte preamble then "DICM"; this file starts at the meta group.
        const bytes = await readFile(explicitPath);
        await writeFile(target, bytes.subarray(132));
        break;
      }
      case 'no-file-meta':
        await dcmtk('dcmconv', ['-q', '+ti', '-F', explicitPath, target]);
        break;
      case 'duplicate':
        throw new Error('duplicates are copies of an existing file');
    }
    files.push({ path, sopInstanceUid: sopUid, encoding });
    return sopUid;
  }

  const ct1 = await write(ct, 1, 'ct/ct-1.dcm', 'explicit-le');
  const ct2 = await write(ct, 2, 'ct/ct-2-big-endian.dcm', 'explicit-be');
  const ct3 = await write(ct, 3, 'ct/ct-3-implicit.dcm', 'implicit-le-undefined-lengths');
  await copyFile(join(root, 'ct/ct-1.dcm'), join(root, 'ct/copy/ct-1-again.dcm'));
  files.push({ path: 'ct/copy/ct-1-again.dcm', sopInstanceUid: ct1, encoding: 'duplicate' });
  const mr1 = await write(mr, 1, 'mr/mr-1-deflated.dcm', 'deflated');
  const mr2 = await write(mr, 2, 'mr/MR2', 'no-preamble');
  const sr1 = await write(sr, 1, 'sr/report.dcm', 'no-file-meta');
  const doc1 = await write(doc, 1, 'doc/referral.dcm', 'explicit-le');
  const cr1 = await write(cr, 1, 'cr/hand.dcm', 'explicit-le');
  const sc1 = await write(sc, 1, 'sc/scan.dcm', 'explicit-be');

  const junk: RichStudyJunk[] = [
    { path: 'junk/notes.txt', reason: 'not-dicom' },
    { path: 'junk/empty.dcm', reason: 'not-dicom' },
    { path: 'junk/random.bin', reason: 'not-dicom' },
    { path: 'junk/truncated.dcm', reason: 'truncated' },
  ];
  await writeFile(join(root, 'junk/notes.txt'), 'Study notes: nothing to see here.\n');
  await writeFile(join(root, 'junk/empty.dcm'), Buffer.alloc(0));
  await writeFile(join(root, 'junk/random.bin'), pseudoRandomBytes(4096, 'rich-study/junk'));
  // Cut inside the Patient module: the header ends in the middle of an element.
  const whole = await readFile(join(root, 'ct/ct-1.dcm'));
  const nameAt = whole.indexOf(Buffer.from('PID-4711', 'latin1'));
  await writeFile(join(root, 'junk/truncated.dcm'), whole.subarray(0, nameAt + 3));
  await rm(work, { recursive: true, force: true });

  const title = {
    ct: 'ORIGINAL\\PRIMARY\\AXIAL',
    mr: 'ORIGINAL\\PRIMARY\\M',
  };
  const series: ExpectedSeries[] = [
    {
      uid: uid('series/ct'),
      number: 1,
      modality: 'CT',
      description: ct.description,
      numberOfInstances: 3,
      started: '2026-03-15T10:17:00+01:00',
      bodySite: { system: SNOMED, code: '43799004', display: 'Chest' },
      performerFamilies: [],
      performerIdentifiers: [],
      instances: [
        { uid: ct1, sopClassUid: SOP.ct, number: 1, title: title.ct },
        { uid: ct2, sopClassUid: SOP.ct, number: 2, title: title.ct },
        { uid: ct3, sopClassUid: SOP.ct, number: 3, title: title.ct },
      ],
    },
    {
      uid: uid('series/mr'),
      number: 2,
      modality: 'MR',
      description: mr.description,
      numberOfInstances: 2,
      started: '2026-03-15T10:22:00+01:00',
      bodySite: { system: SNOMED, code: '122494005', display: 'Cervical spine' },
      laterality: { system: SNOMED, code: '7771000', display: 'Left' },
      performerFamilies: ['Schmidt', 'Klein'],
      performerIdentifiers: ['DR-456', 'OP-789'],
      instances: [
        { uid: mr1, sopClassUid: SOP.mr, number: 1, title: title.mr },
        { uid: mr2, sopClassUid: SOP.mr, number: 2, title: title.mr },
      ],
    },
    {
      uid: uid('series/sr'),
      number: 3,
      modality: 'SR',
      description: sr.description,
      numberOfInstances: 1,
      started: '2026-03-15T10:30:00.123+01:00',
      performerFamilies: [],
      performerIdentifiers: [],
      instances: [{ uid: sr1, sopClassUid: SOP.comprehensiveSr, number: 1, title: 'Diagnostic imaging report' }],
    },
    {
      uid: uid('series/doc'),
      number: 4,
      modality: 'DOC',
      description: doc.description,
      numberOfInstances: 1,
      started: '2026-03-15T09:55:00+01:00',
      performerFamilies: [],
      performerIdentifiers: [],
      instances: [{ uid: doc1, sopClassUid: SOP.encapsulatedPdf, number: 1, title: 'Überweisungsschein' }],
    },
    {
      uid: uid('series/cr'),
      modality: 'CR',
      description: cr.description,
      numberOfInstances: 1,
      started: '2026-03-15T10:45:00+01:00',
      bodySite: { code: 'PINKY TOE', userSelected: true },
      laterality: { system: SNOMED, code: '24028007', display: 'Right' },
      performerFamilies: [],
      performerIdentifiers: [],
      instances: [{ uid: cr1, sopClassUid: SOP.cr, number: 1, title: 'ORIGINAL\\PRIMARY' }],
    },
    {
      uid: uid('series/sc'),
      number: 6,
      description: sc.description,
      numberOfInstances: 1,
      started: '2026-03-15T11:00:00+01:00',
      performerFamilies: [],
      performerIdentifiers: [],
      specimenIdentifier: 'SPEC-77',
      instances: [{ uid: sc1, sopClassUid: SOP.sc, number: 1, title: 'DERIVED\\SECONDARY' }],
    },
  ];

  return {
    dir: root,
    studyInstanceUid: studyUid,
    dicomFiles: files,
    junk,
    duplicateSopInstanceUids: [ct1],
    expected: {
      numberOfSeries: series.length,
      numberOfInstances: series.reduce((n, s) => n + s.numberOfInstances, 0),
      started: '2026-03-15T10:15:30+01:00',
      description: 'CT Thorax und MR HWS',
      modalities: ['CR', 'CT', 'DOC', 'MR', 'SR'],
      studyId: 'ST-9001',
      accession: { value: 'ACC-2026-0815', assignerDisplay: 'RIS-NORTH' },
      location: 'Radiologie',
      procedureCode: { system: SNOMED, code: '169069000', display: 'Computed tomography of chest' },
      reasonCode: { system: ICD10, code: 'R05', display: 'Cough' },
      referrer: { family: 'Weber', given: ['Anna'], prefix: ['Dr.'], identifier: 'DR-123' },
      patient: {
        identifier: { value: 'PID-4711', assignerDisplay: 'St. Example Hospital', typeCode: 'MR' },
        name: { family: 'Müller', given: ['Jürgen', 'Hans'], prefix: ['Dr.'], suffix: ['MD'] },
        gender: 'male',
        birthDate: '1962-07-14',
        birthTimePrefix: '1962-07-14T08:30:00',
        addressText: 'Hauptstraße 1, 50667 Köln',
        phones: ['+49 221 1234567', '+49 170 7654321'],
        ethnicGroup: 'Europäisch',
        weightKg: 82.5,
        heightM: 1.78,
      },
      order: {
        accession: 'ACC-2026-0815',
        requestedProcedureId: 'RP-55',
        placerOrderNumber: 'PLC-1',
        fillerOrderNumber: 'FIL-2',
        requestedProcedureCode: { system: LOINC, code: '24627-2', display: 'CT Chest' },
      },
      series,
    },
  };
}
