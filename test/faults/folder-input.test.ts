/**
 * `dicom2fhir convert` on hostile folders, as the built CLI in a child process: files whose
 * placing UIDs are missing or corrupted, an enhanced multi-frame image with thousands of
 * per-frame items, a deflate bomb and sequence-item bombs, with the child's peak memory measured.
 * Every file is generated here, byte by byte, from fixed seeds.
 */
import { once } from 'node:events';
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflateRaw } from 'node:zlib';
import type { ImagingStudy } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DECODED_ITEMS_SELECTED } from '../../src/dicom/part10/dataset-parser.js';
import { MAX_INFLATED_BYTES } from '../../src/dicom/part10/header.js';
import { assertBuilt, runCli, type CliResult } from '../cli/run-cli.js';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  deflatedPart10,
  delimiter,
  element,
  elementHeader,
  ENHANCED_MR_IMAGE_STORAGE,
  EXPLICIT_VR_LITTLE_ENDIAN,
  instanceElements,
  item,
  part10,
  pixelData,
  sequence,
  tag,
  UNDEFINED_LENGTH,
  type InstanceUids,
} from '../support/generate/part10-bytes.js';
import { withPeakRss } from '../support/peak-rss.js';

const STUDY = '1.2.826.0.1.3680043.10.1011.1';
const SERIES = `${STUDY}.1`;
const sop = (n: number): string => `${SERIES}.${n}`;
/** Peak resident memory allowed to `convert` on any single hostile file. */
const PEAK_RSS_LIMIT_MIB = 256;
const CONTROL_BYTES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let root: string;

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'folder-faults-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, Buffer>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) await writeFile(join(dir, file), bytes);
  return dir;
}

function ct(uids: InstanceUids, instanceNumber: number): Buffer {
  return part10(EXPLICIT_VR_LITTLE_ENDIAN, Buffer.concat([instanceElements(uids, { instanceNumber }), pixelData()]));
}

function studyOf(result: CliResult): ImagingStudy {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ImagingStudy;
}

function instanceUids(study: ImagingStudy): string[] {
  return (study.series ?? []).flatMap((s) => (s.instance ?? []).map((i) => i.uid)).sort();
}

describe('convert skips files it cannot place in a study, each with its own reason', () => {
  it('converts six files and skips the seventh whose Study Instance UID has a corrupted byte, without echoing it', async () => {
    const files: Record<string, Buffer> = {};
    for (let n = 1; n <= 7; n++) files[`IM${n}`] = ct({ study: STUDY, series: SERIES, sop: sop(n) }, n);
    const corrupted = files.IM4 as Buffer;
    const at = corrupted.indexOf(Buffer.from(STUDY, 'latin1'));
    expect(at).toBeGreaterThan(132);
    corrupted[at + 9] = 0x01;
    const result = await runCli(['convert', await folder('corrupted-study-uid', files)]);
    const study = studyOf(result);
    expect(study.numberOfInstances).toBe(6);
    expect(instanceUids(study)).toEqual([1, 2, 3, 5, 6, 7].map(sop).sort());
    expect(result.stderr.trim()).toBe('6 instances in 1 series; skipped 1 file (invalid UID: 1)');
    expect(result.stderr).not.toMatch(CONTROL_BYTES);
  });

  it('skips a file without Series or SOP Instance UID, and exits 2 when nothing is left', async () => {
    const dir = await folder('missing-uids', {
      'no-series': ct({ study: STUDY, sop: sop(1) }, 1),
      'no-sop': ct({ study: STUDY, series: SERIES }, 2),
    });
    const result = await runCli(['convert', dir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no DICOM instance with valid Study, Series and SOP Instance UIDs found .*\(2 files read, skipped: no SOP Instance UID: 1, no Series Instance UID: 1\)/);
  });

  it('converts the good files of a folder and counts the one without SOP Instance UID', async () => {
    const dir = await folder('one-without-sop', {
      good: ct({ study: STUDY, series: SERIES, sop: sop(1) }, 1),
      'no-sop': ct({ study: STUDY, series: SERIES }, 2),
    });
    const result = await runCli(['convert', dir]);
    expect(instanceUids(studyOf(result))).toEqual([sop(1)]);
    expect(result.stderr.trim()).toBe('1 instance in 1 series; skipped 1 file (no SOP Instance UID: 1)');
  });
});

/**
 * An enhanced MR image (PS3.3 A.36.2) whose Per-frame Functional Groups Sequence (5200,9230)
 * holds one item per frame, each with Frame Content (0020,9111) and Plane Position (0020,9113)
 * items, all of undefined length as many modalities write them.
 */
function enhancedMultiFrame(uids: InstanceUids, frames: number): Buffer {
  const perFrame: Buffer[] = [];
  for (let frame = 1; frame <= frames; frame++) {
    const index = Buffer.alloc(8);
    index.writeUInt32LE(1, 0);
    index.writeUInt32LE(frame, 4);
    const content = sequence(tag(0x0020, 0x9111), [item(element(tag(0x0020, 0x9157), 'UL', index), true)], true);
    const position = sequence(tag(0x0020, 0x9113), [item(element(tag(0x0020, 0x0032), 'DS', `0\\0\\${frame}`), true)], true);
    perFrame.push(item(Buffer.concat([content, position]), true));
  }
  const numberOfFrames = tag(0x0028, 0x0008);
  const shared = tag(0x5200, 0x9229);
  const perFrameGroups = tag(0x5200, 0x9230);
  return Buffer.concat([
    instanceElements(
      { ...uids, sopClass: ENHANCED_MR_IMAGE_STORAGE },
      {
        modality: 'MR',
        instanceNumber: 1,
        extra: [
          [numberOfFrames, element(numberOfFrames, 'IS', String(frames))],
          [shared, sequence(shared, [item(sequence(tag(0x0020, 0x9116), [item(element(tag(0x0020, 0x0037), 'DS', '1\\0\\0\\0\\1\\0'))]))])],
          [perFrameGroups, sequence(perFrameGroups, perFrame, true)],
        ],
      },
    ),
    pixelData(),
  ]);
}

describe('convert reads an enhanced multi-frame image with thousands of per-frame items as a normal instance', () => {
  it('converts it plain and deflated, whatever the number of per-frame items', async () => {
    const frames = MAX_DECODED_ITEMS_SELECTED + 2_000;
    const dataset = enhancedMultiFrame({ study: STUDY, series: SERIES, sop: sop(1) }, frames);
    const dir = await folder('enhanced-multi-frame', {
      plain: part10(EXPLICIT_VR_LITTLE_ENDIAN, dataset, ENHANCED_MR_IMAGE_STORAGE),
      deflated: deflatedPart10(enhancedMultiFrame({ study: STUDY, series: SERIES, sop: sop(2) }, frames), ENHANCED_MR_IMAGE_STORAGE),
    });
    const result = await runCli(['convert', dir]);
    const study = studyOf(result);
    expect(instanceUids(study)).toEqual([sop(1), sop(2)]);
    expect(study.series?.[0]?.modality?.code).toBe('MR');
    expect(result.stderr.trim()).toBe('2 instances in 1 series; skipped 0 files');
  });
});

/** Raw deflate of `parts` in order, streamed so the test never holds the inflated bytes. */
async function deflateParts(parts: Iterable<Buffer>): Promise<Buffer> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = once(deflate, 'end');
  for (const part of parts) {
    if (!deflate.write(part)) await once(deflate, 'drain');
  }
  deflate.end();
  await ended;
  return Buffer.concat(out);
}

const MIB = 1024 * 1024;

/**
 * 256 MiB of zeros before Pixel Data, deflated to about 260 KB, in private OB elements: one
 * element of 256 MiB (its length alone says it is too large), or 256 elements of 1 MiB (only
 * inflating tells).
 */
async function deflateBomb(uids: InstanceUids, layout: 'one element' | 'many elements'): Promise<Buffer> {
  const zeros = Buffer.alloc(MIB);
  const count = 256;
  function* parts(): Generator<Buffer> {
    const creator = tag(0x0029, 0x0010);
    yield instanceElements(uids, { instanceNumber: 9, extra: [[creator, element(creator, 'LO', 'BOMB')]] });
    if (layout === 'one element') yield elementHeader(tag(0x0029, 0x1001), 'OB', zeros.length * count);
    for (let i = 0; i < count; i++) {
      if (layout === 'one element') yield zeros;
      else yield Buffer.concat([elementHeader(tag(0x0029, 0x1001 + i), 'OB', MIB - 12), zeros.subarray(12)]);
    }
    yield pixelData();
  }
  return part10(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, await deflateParts(parts()));
}

/** `count` empty items (FFFE,E000 of length 0) in an undefined-length sequence `t`. */
function itemBomb(t: number, count: number): Buffer {
  const emptyItem = Buffer.alloc(8);
  emptyItem.writeUInt16LE(0xfffe, 0);
  emptyItem.writeUInt16LE(0xe000, 2);
  return Buffer.concat([elementHeader(t, 'SQ', UNDEFINED_LENGTH), Buffer.alloc(count * 8, emptyItem), delimiter(0xe0dd)]);
}

function itemBombFile(uids: InstanceUids, t: number): Buffer {
  return part10(EXPLICIT_VR_LITTLE_ENDIAN, Buffer.concat([instanceElements(uids, { instanceNumber: 9, extra: [[t, itemBomb(t, 4_000_000)]] }), pixelData()]));
}

/** Request Attributes Sequence (0040,0275): a sequence the converter does not map. */
const UNMAPPED_SEQUENCE = tag(0x0040, 0x0275);
/** Procedure Code Sequence (0008,1032): mapped to ImagingStudy.procedureCode, so decoded. */
const MAPPED_SEQUENCE = tag(0x0008, 0x1032);

describe('convert keeps its memory bounded on hostile files', () => {
  const good = (): Buffer => ct({ study: STUDY, series: SERIES, sop: sop(1) }, 1);
  const figures: string[] = [];

  afterAll(() => {
    console.log(`peak RSS of convert: ${figures.join('; ')}`);
  });

  it.each(['one element', 'many elements'] as const)(`skips a 260 KB deflate bomb (%s) as too large, under ${PEAK_RSS_LIMIT_MIB} MiB`, async (layout) => {
    const bomb = await deflateBomb({ study: STUDY, series: SERIES, sop: sop(9) }, layout);
    expect(bomb.length).toBeLessThan(300 * 1024);
    const dir = await folder(`deflate-bomb-${layout.replace(' ', '-')}`, { good: good(), bomb });
    const { result, peakRssMiB } = await withPeakRss((env) => runCli(['convert', dir], env));
    figures.push(`deflate bomb, ${layout} ${peakRssMiB.toFixed(0)} MiB`);
    expect(instanceUids(studyOf(result))).toEqual([sop(1)]);
    expect(result.stderr.trim()).toBe('1 instance in 1 series; skipped 1 file (too large: 1)');
    expect(peakRssMiB).toBeLessThan(PEAK_RSS_LIMIT_MIB);
    expect(MAX_INFLATED_BYTES).toBeLessThan(PEAK_RSS_LIMIT_MIB * 1024 * 1024);
  });

  it(`converts a file with 4 million empty items in a sequence it does not map, under ${PEAK_RSS_LIMIT_MIB} MiB`, async () => {
    const dir = await folder('item-bomb-unmapped', { good: good(), bomb: itemBombFile({ study: STUDY, series: SERIES, sop: sop(9) }, UNMAPPED_SEQUENCE) });
    const { result, peakRssMiB } = await withPeakRss((env) => runCli(['convert', dir], env));
    figures.push(`4M items, unmapped sequence ${peakRssMiB.toFixed(0)} MiB`);
    expect(instanceUids(studyOf(result))).toEqual([sop(1), sop(9)]);
    expect(result.stderr.trim()).toBe('2 instances in 1 series; skipped 0 files');
    expect(peakRssMiB).toBeLessThan(PEAK_RSS_LIMIT_MIB);
  });

  it(`reads eight such files at once in one folder under ${PEAK_RSS_LIMIT_MIB} MiB`, async () => {
    const dir = await folder('item-bombs', { good: good(), bomb1: itemBombFile({ study: STUDY, series: SERIES, sop: sop(9) }, UNMAPPED_SEQUENCE) });
    for (let n = 2; n <= 8; n++) await link(join(dir, 'bomb1'), join(dir, `bomb${n}`));
    const { result, peakRssMiB } = await withPeakRss((env) => runCli(['convert', dir], env));
    figures.push(`eight 4M-item files at once ${peakRssMiB.toFixed(0)} MiB`);
    expect(instanceUids(studyOf(result))).toEqual([sop(1), sop(9)]);
    expect(result.stderr).toMatch(/^2 instances in 1 series; skipped 0 files\n.*7 duplicate SOP Instance UID/);
    expect(peakRssMiB).toBeLessThan(PEAK_RSS_LIMIT_MIB);
  });

  it(`skips a file whose Image Type holds 30 million empty values as too large, under ${PEAK_RSS_LIMIT_MIB} MiB`, async () => {
    const imageType = tag(0x0008, 0x0008);
    const backslashes = Buffer.alloc(30 * MIB, 0x5c);
    const valueBomb = Buffer.concat([elementHeader(imageType, 'UC', backslashes.length), backslashes]);
    const bomb = part10(EXPLICIT_VR_LITTLE_ENDIAN, Buffer.concat([instanceElements({ study: STUDY, series: SERIES, sop: sop(9) }, { extra: [[imageType, valueBomb]] }), pixelData()]));
    const dir = await folder('value-bomb', { good: good(), bomb });
    const { result, peakRssMiB } = await withPeakRss((env) => runCli(['convert', dir], env));
    figures.push(`30M values in one element ${peakRssMiB.toFixed(0)} MiB`);
    expect(instanceUids(studyOf(result))).toEqual([sop(1)]);
    expect(result.stderr.trim()).toBe('1 instance in 1 series; skipped 1 file (too large: 1)');
    expect(peakRssMiB).toBeLessThan(PEAK_RSS_LIMIT_MIB);
  });

  it(`skips a file with 4 million empty items in a mapped sequence as too large, under ${PEAK_RSS_LIMIT_MIB} MiB`, async () => {
    const dir = await folder('item-bomb-mapped', { good: good(), bomb: itemBombFile({ study: STUDY, series: SERIES, sop: sop(9) }, MAPPED_SEQUENCE) });
    const { result, peakRssMiB } = await withPeakRss((env) => runCli(['convert', dir], env));
    figures.push(`4M items, mapped sequence ${peakRssMiB.toFixed(0)} MiB`);
    expect(instanceUids(studyOf(result))).toEqual([sop(1)]);
    expect(result.stderr.trim()).toBe('1 instance in 1 series; skipped 1 file (too large: 1)');
    expect(peakRssMiB).toBeLessThan(PEAK_RSS_LIMIT_MIB);
  });
});
