/**
 * A second, smaller generated study for the mapping rows the rich study cannot hold at the same
 * time as its own values (SPEC §2): no Timezone Offset From UTC (so the configured time zone
 * decides, §2.5), UTF-8 text with ideographic and phonetic name groups (§2.4), an OID issuer of
 * Patient ID, an unknown sex and an invalid birth date, Performed Location instead of a
 * department, a reason given only as text, a Long Code Value and an unknown coding scheme
 * (§2.7), a negative Series Number, bilateral and unpaired laterality, and body part variants.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { codeItem, el, renderDump, sq, type DumpNode } from './dump.js';
import { LOINC, SNOMED, type ExpectedCoding } from './rich-study.js';
import { runComponent } from './uids.js';

const run = promisify(execFile);

export interface VariantSeries {
  uid: string;
  number?: number;
  modality: string;
  bodySite: ExpectedCoding;
  laterality?: ExpectedCoding;
  /** Instance Numbers in the expected output order. */
  instanceNumbers: number[];
}

export interface VariantStudyManifest {
  dir: string;
  studyInstanceUid: string;
  files: number;
  expected: {
    studyDate: string;
    /** Study Date + Study Time as a FHIR dateTime in the given offset. */
    startedAt: (offset: string) => string;
    location: string;
    reasonText: string;
    procedureCode: ExpectedCoding;
    /** A Coding Scheme Designator with no known URI: must not appear as a `system`. */
    unknownDesignator: string;
    patient: {
      identifier: { system: string; value: string };
      gender: 'other';
      alphabetic: { family: string; given: string[] };
      ideographic: { family: string; given: string[] };
      phonetic: { family: string; given: string[] };
    };
    series: VariantSeries[];
  };
}

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const PATIENT_ISSUER_OID = '1.2.392.200119.1';

function uid(name: string): string {
  return `2.25.${runComponent(`variant-study/${name}`)}`;
}

function instance(study: string, series: DumpNode[], sopClass: string, sopUid: string, number: number): DumpNode[] {
  return [
    el('0008,0005', 'CS', 'ISO_IR 192'),
    el('0008,0008', 'CS', 'ORIGINAL\\PRIMARY'),
    el('0008,0016', 'UI', sopClass),
    el('0008,0018', 'UI', sopUid),
    el('0008,0020', 'DA', '20260316'),
    el('0008,0030', 'TM', '080500'),
    el('0008,0021', 'DA', '20260316'),
    el('0008,0031', 'TM', '081000'),
    el('0008,0050', 'SH', 'ACC-V-1'),
    el('0008,1030', 'LO', 'Kopf und Wirbelsäule'),
    sq('0008,1032', [
      [el('0008,0119', 'UC', '30799-1'), el('0008,0102', 'SH', 'LN'), el('0008,0104', 'LO', 'Head CT')],
      codeItem('X1', '99LOCAL', 'Local head protocol'),
    ]),
    el('0010,0010', 'PN', 'Yamada^Tarou=山田^太郎=やまだ^たろう'),
    el('0010,0020', 'LO', 'JP-1'),
    el('0010,0021', 'LO', PATIENT_ISSUER_OID),
    el('0010,0030', 'DA', '19621340'),
    el('0010,0040', 'CS', 'O'),
    el('0020,000d', 'UI', study),
    el('0020,0013', 'IS', number),
    el('0040,0243', 'SH', 'CT Raum 2'),
    el('0040,1002', 'LO', 'Kopfschmerz'),
    ...series,
  ];
}

/** Writes the study into `dir` (emptied first); needs dcmtk's `dump2dcm`. */
export async function generateVariantStudy(dir: string): Promise<VariantStudyManifest> {
  const root = resolve(dir);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const study = uid('study');
  const ctSeries = [
    el('0008,0060', 'CS', 'CT'),
    el('0020,000e', 'UI', uid('series/ct')),
    el('0020,0011', 'IS', '-3'),
    el('0018,0015', 'CS', 'THORAX'),
    el('0020,0060', 'CS', 'B'),
  ];
  const mrSeries = [
    el('0008,0060', 'CS', 'MR'),
    el('0020,000e', 'UI', uid('series/mr')),
    el('0020,0011', 'IS', '7'),
    el('0018,0015', 'CS', 'L-SPINE'),
    el('0020,0060', 'CS', 'U'),
  ];
  // File names run against Instance Number, so sorted output cannot come from the file order.
  const files: Array<{ name: string; nodes: DumpNode[] }> = [
    { name: 'a.dcm', nodes: instance(study, ctSeries, CT, uid('sop/ct/1'), 1) },
    { name: 'b.dcm', nodes: instance(study, mrSeries, MR, uid('sop/mr/2'), 2) },
    { name: 'c.dcm', nodes: instance(study, mrSeries, MR, uid('sop/mr/1'), 1) },
  ];
  for (const file of files) {
    const dumpPath = join(root, `${file.name}.dump`);
    await writeFile(dumpPath, renderDump(file.nodes), 'utf8');
    await run('dump2dcm', ['-q', '+te', dumpPath, join(root, file.name)]);
    await rm(dumpPath);
  }

  return {
    dir: root,
    studyInstanceUid: study,
    files: files.length,
    expected: {
      studyDate: '2026-03-16',
      startedAt: (offset) => `2026-03-16T08:05:00${offset}`,
      location: 'CT Raum 2',
      reasonText: 'Kopfschmerz',
      procedureCode: { system: LOINC, code: '30799-1', display: 'Head CT' },
      unknownDesignator: '99LOCAL',
      patient: {
        identifier: { system: `urn:oid:${PATIENT_ISSUER_OID}`, value: 'JP-1' },
        gender: 'other',
        alphabetic: { family: 'Yamada', given: ['Tarou'] },
        ideographic: { family: '山田', given: ['太郎'] },
        phonetic: { family: 'やまだ', given: ['たろう'] },
      },
      series: [
        {
          uid: uid('series/ct'),
          modality: 'CT',
          bodySite: { system: SNOMED, code: '43799004' },
          laterality: { system: SNOMED, code: '51440002' },
          instanceNumbers: [1],
        },
        {
          uid: uid('series/mr'),
          number: 7,
          modality: 'MR',
          bodySite: { system: SNOMED, code: '122496007', display: 'Lumbar spine' },
          instanceNumbers: [1, 2],
        },
      ],
    },
  };
}
