/**
 * Fast byte-level copies of one DICOM Part 10 template with fresh UIDs, for large studies
 * (benchmarks, scale tests). Parsing and re-encoding 12,000 files with a toolkit takes minutes;
 * patching bytes takes seconds.
 *
 * Study, Series and SOP Instance UID (and the file meta Media Storage SOP Instance UID,
 * PS3.10 §7.1, which must equal the SOP Instance UID) are overwritten in place with UIDs of the
 * same length, so no length field changes. Series Number and Instance Number (IS, PS3.5 §6.2)
 * are top-level elements of the main dataset: they are rewritten with their own new even length,
 * which shifts the bytes after them but touches no other length field (the template must not
 * have them inside a sequence or after Pixel Data, which Part 10 files never do).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { fixedLengthUid } from './uids.js';

export interface CopiesLayout {
  studies: number;
  seriesPerStudy: number;
  instancesPerSeries: number;
  /** Distinguishes data sets generated from one template; default `copies`. */
  seed?: string;
}

export interface GeneratedSeries {
  seriesInstanceUid: string;
  seriesNumber: number;
  sopInstanceUids: string[];
}

export interface GeneratedStudy {
  studyInstanceUid: string;
  /** Folder holding only this study's files. */
  directory: string;
  series: GeneratedSeries[];
}

export interface CopiesManifest {
  templateSha1: string;
  layout: Required<CopiesLayout>;
  studies: GeneratedStudy[];
  files: number;
  /** True when the files were already there from an earlier run with the same inputs. */
  reused: boolean;
}

interface Slot {
  offset: number;
  length: number;
}

interface TemplateSlots {
  mediaStorageSopInstanceUid: Slot;
  sopInstanceUid: Slot;
  studyInstanceUid: Slot;
  seriesInstanceUid: Slot;
  seriesNumber: Slot | undefined;
  instanceNumber: Slot | undefined;
}

const MANIFEST_NAME = 'copies-manifest.json';

function slot(dataSet: dicomParser.DataSet, tag: string, required: true): Slot;
function slot(dataSet: dicomParser.DataSet, tag: string, required: false): Slot | undefined;
function slot(dataSet: dicomParser.DataSet, tag: string, required: boolean): Slot | undefined {
  const element = dataSet.elements[tag];
  if (element === undefined || element.length === 0) {
    if (required) throw new Error(`template has no ${tag}`);
    return undefined;
  }
  return { offset: element.dataOffset, length: element.length };
}

function locateSlots(template: Uint8Array): TemplateSlots {
  const dataSet = dicomParser.parseDicom(template, { untilTag: 'x7fe00010' });
  const transferSyntax = dataSet.string('x00020010');
  if (transferSyntax !== '1.2.840.10008.1.2.1') {
    throw new Error(`template must be explicit VR little endian, not ${transferSyntax ?? 'unknown'}`);
  }
  return {
    mediaStorageSopInstanceUid: slot(dataSet, 'x00020003', true),
    sopInstanceUid: slot(dataSet, 'x00080018', true),
    studyInstanceUid: slot(dataSet, 'x0020000d', true),
    seriesInstanceUid: slot(dataSet, 'x0020000e', true),
    seriesNumber: slot(dataSet, 'x00200011', false),
    instanceNumber: slot(dataSet, 'x00200013', false),
  };
}

/** A UID padded with NUL to the slot's even length (PS3.5 §6.2, UI). */
function uidFor(seed: string, counters: number[], slotLength: number): string {
  const widths = [4, 4, 6].slice(0, counters.length);
  const length = slotLength;
  return fixedLengthUid(seed, counters, widths, length % 2 === 0 ? length : length - 1);
}

function putAscii(buffer: Buffer, at: Slot, text: string): void {
  buffer.fill(0, at.offset, at.offset + at.length);
  buffer.write(text, at.offset, 'latin1');
}

/** IS value padded with a trailing space to even length. */
function isValue(n: number): Buffer {
  const text = String(n);
  return Buffer.from(text.length % 2 === 0 ? text : `${text} `, 'latin1');
}

/**
 * Replaces the values of short (2-byte length) explicit VR elements; slots sorted by offset.
 * The 16-bit value length sits just before the value (PS3.5 §7.1.2).
 */
function withValues(buffer: Buffer, edits: Array<{ at: Slot; value: Buffer }>): Buffer {
  const sorted = [...edits].sort((a, b) => a.at.offset - b.at.offset);
  const chunks: Buffer[] = [];
  let cursor = 0;
  for (const { at, value } of sorted) {
    chunks.push(buffer.subarray(cursor, at.offset - 2));
    const length = Buffer.alloc(2);
    length.writeUInt16LE(value.length, 0);
    chunks.push(length, value);
    cursor = at.offset + at.length;
  }
  chunks.push(buffer.subarray(cursor));
  return Buffer.concat(chunks);
}

async function readManifest(dir: string): Promise<CopiesManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as CopiesManifest;
}

/**
 * Writes `studies × seriesPerStudy × instancesPerSeries` copies of the template under
 * `dir/study-NNNN/series-NNNN/NNNNNN.dcm`. Deterministic: when `dir` already holds a manifest
 * for the same template and layout, nothing is written and that manifest is returned.
 */
export async function generateCopies(
  templatePath: string,
  dir: string,
  layout: CopiesLayout,
): Promise<CopiesManifest> {
  const template = await readFile(templatePath);
  const templateSha1 = createHash('sha1').update(template).digest('hex');
  const full: Required<CopiesLayout> = { seed: 'copies', ...layout };
  const existing = await readManifest(dir);
  if (
    existing !== undefined &&
    existing.templateSha1 === templateSha1 &&
    JSON.stringify(existing.layout) === JSON.stringify(full)
  ) {
    return { ...existing, reused: true };
  }

  const slots = locateSlots(template);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const studies: GeneratedStudy[] = [];
  let files = 0;
  for (let s = 1; s <= full.studies; s++) {
    const studyUid = uidFor(`${full.seed}/study`, [s], slots.studyInstanceUid.length);
    const studyDir = join(dir, `study-${String(s).padStart(4, '0')}`);
    const study: GeneratedStudy = { studyInstanceUid: studyUid, directory: studyDir, series: [] };
    for (let se = 1; se <= full.seriesPerStudy; se++) {
      const seriesUid = uidFor(`${full.seed}/series`, [s, se], slots.seriesInstanceUid.length);
      const seriesDir = join(studyDir, `series-${String(se).padStart(4, '0')}`);
      await mkdir(seriesDir, { recursive: true });
      const series: GeneratedSeries = { seriesInstanceUid: seriesUid, seriesNumber: se, sopInstanceUids: [] };
      const writes: Array<Promise<void>> = [];
      for (let i = 1; i <= full.instancesPerSeries; i++) {
        const sopUid = uidFor(`${full.seed}/sop`, [s, se, i], slots.sopInstanceUid.length);
        const copy = Buffer.from(template);
        putAscii(copy, slots.mediaStorageSopInstanceUid, sopUid);
        putAscii(copy, slots.sopInstanceUid, sopUid);
        putAscii(copy, slots.studyInstanceUid, studyUid);
        putAscii(copy, slots.seriesInstanceUid, seriesUid);
        const edits: Array<{ at: Slot; value: Buffer }> = [];
        if (slots.seriesNumber) edits.push({ at: slots.seriesNumber, value: isValue(se) });
        if (slots.instanceNumber) edits.push({ at: slots.instanceNumber, value: isValue(i) });
        const bytes = edits.length > 0 ? withValues(copy, edits) : copy;
        writes.push(writeFile(join(seriesDir, `${String(i).padStart(6, '0')}.dcm`), bytes));
        series.sopInstanceUids.push(sopUid);
        files++;
        if (writes.length >= 64) await Promise.all(writes.splice(0));
      }
      await Promise.all(writes);
      study.series.push(series);
    }
    studies.push(study);
  }
  const manifest: CopiesManifest = { templateSha1, layout: full, studies, files, reused: false };
  await writeFile(join(dir, MANIFEST_NAME), `${JSON.stringify(manifest)}\n`);
  return manifest;
}
