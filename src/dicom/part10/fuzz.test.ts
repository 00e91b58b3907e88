/**
 * Fuzzing of the header reader with a seeded corpus of mutants (test/support/generate/mutants.ts)
 * of pydicom's test files and of generated files. Every mutant must come out converted or
 * skipped with a reason — never an exception, never an error the parser did not name, never a
 * hang — the same from a file read in growing slices as from the whole bytes.
 *
 * FUZZ_MUTANTS (default 3000) sets how many; FUZZ_SEED (default 1) the first mutant's number;
 * FUZZ_CORPUS_DIR, when set, receives every mutant as a file (e.g. to run `dicom2fhir convert`
 * over it). A failure names the mutant's number: FUZZ_SEED=<n> FUZZ_MUTANTS=1 replays it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deflatedPart10,
  element,
  ENHANCED_MR_IMAGE_STORAGE,
  EXPLICIT_VR_LITTLE_ENDIAN,
  instanceElements,
  item,
  part10,
  pixelData,
  sequence,
  tag,
} from '../../../test/support/generate/part10-bytes.js';
import { makeMutant, type SeedFile } from '../../../test/support/generate/mutants.js';
import { convertStudy } from '../../convert/index.js';
import { classify } from '../../folder/classify.js';
import { FOLDER_TAGS } from '../../folder/read-headers.js';
import { FOLDER_SKIP_REASON_LABEL } from '../../folder/skip.js';
import type { Dataset } from '../dataset.js';
import { parsePart10Header, readDicomHeaderSync, SKIP_REASON_LABEL, type HeaderResult } from './index.js';
import { ElementReuse } from './element-reuse.js';
import { FIRST_READ_BYTES } from './read.js';

const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data';
const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 3000);
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 1);
const CORPUS_DIR = process.env.FUZZ_CORPUS_DIR;
/** A mutant parsed slower than this is taken as a hang (a real one would stop the test run). */
const HANG_MS = 5_000;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** What the parser's last-resort catch writes for an error it did not raise itself. */
const UNNAMED_ERROR = /^[A-Za-z]*Error\b/;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

const STUDY = '1.2.826.0.1.3680043.10.1011.5';
const uids = (n: number) => ({ study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.${n}` });

/** A CT header with the sequences the converter maps, in both length forms, nested, and private ones. */
function richCt(): Buffer {
  const codeElements = (value: string) =>
    Buffer.concat([element(tag(0x0008, 0x0100), 'SH', value), element(tag(0x0008, 0x0102), 'SH', 'DCM'), element(tag(0x0008, 0x0104), 'LO', 'Meaning')]);
  const code = (value: string) => item(codeElements(value));
  const procedure = tag(0x0008, 0x1032);
  const requested = tag(0x0032, 0x1064);
  const privateCreator = tag(0x0009, 0x0010);
  const privateSequence = tag(0x0009, 0x1001);
  const charset = tag(0x0008, 0x0005);
  const name = tag(0x0010, 0x0010);
  return part10(
    EXPLICIT_VR_LITTLE_ENDIAN,
    Buffer.concat([
      instanceElements(uids(1), {
        instanceNumber: 1,
        extra: [
          [charset, element(charset, 'CS', 'ISO_IR 100')],
          [procedure, sequence(procedure, [code('A'), code('B')])],
          [privateCreator, element(privateCreator, 'LO', 'ACME')],
          [privateSequence, sequence(privateSequence, [item(sequence(privateSequence, [code('C')], true), true)], true)],
          [name, element(name, 'PN', 'Müller^Jürgen')],
          [requested, sequence(requested, [item(Buffer.concat([codeElements('D'), sequence(tag(0x0040, 0xa043), [], true)]), true)], true)],
        ],
      }),
      pixelData(64),
    ]),
  );
}

/** An enhanced MR header of `frames` per-frame items, past the reader's first 16 KiB. */
function enhanced(frames: number): Buffer {
  const perFrame = tag(0x5200, 0x9230);
  const items = Array.from({ length: frames }, (_, i) =>
    item(sequence(tag(0x0020, 0x9111), [item(element(tag(0x0020, 0x9157), 'UL', Buffer.from([1, 0, 0, 0, i & 0xff, i >> 8, 0, 0])), true)], true), true),
  );
  return Buffer.concat([
    instanceElements({ ...uids(2), sopClass: ENHANCED_MR_IMAGE_STORAGE }, { modality: 'MR', extra: [[perFrame, sequence(perFrame, items, true)]] }),
    pixelData(32),
  ]);
}

function generatedSeeds(): SeedFile[] {
  const bigPrivate = tag(0x0009, 0x1002);
  return [
    { name: 'generated/rich-ct', bytes: richCt() },
    { name: 'generated/enhanced-mr', bytes: part10(EXPLICIT_VR_LITTLE_ENDIAN, enhanced(600), ENHANCED_MR_IMAGE_STORAGE) },
    { name: 'generated/enhanced-mr-deflated', bytes: deflatedPart10(enhanced(600), ENHANCED_MR_IMAGE_STORAGE) },
    { name: 'generated/rich-ct-deflated', bytes: deflatedPart10(richCt().subarray(richCt().indexOf(Buffer.from([0x08, 0x00, 0x05, 0x00])))) },
    {
      name: 'generated/large-private-element',
      bytes: part10(EXPLICIT_VR_LITTLE_ENDIAN, Buffer.concat([instanceElements(uids(3), { extra: [[bigPrivate, element(bigPrivate, 'OB', Buffer.alloc(40_000, 7))]] }), pixelData()])),
    },
  ];
}

interface Outcome {
  ok: boolean;
  reason?: string;
}

function outcomeOf(result: HeaderResult): Outcome {
  return result.ok ? { ok: true } : { ok: false, reason: result.reason };
}

let seeds: SeedFile[];
let scratch: string;

beforeAll(() => {
  const pydicom = [...walk(join(PYDICOM, 'test_files')), ...walk(join(PYDICOM, 'charset_files'))].map((path) => ({
    name: relative(PYDICOM, path),
    bytes: readFileSync(path),
  }));
  // Seeds that are DICOM to begin with; junk seeds would mostly make junk mutants.
  // The generated seeds are few but the only ones past the first read, and with deep and long
  // sequences: each counts eight times, so about a fifth of the mutants come from them.
  const generated = generatedSeeds();
  seeds = [...pydicom.filter((seed) => parsePart10Header(seed.bytes).ok), ...new Array<SeedFile[]>(8).fill(generated).flat()];
  scratch = mkdtempSync(join(tmpdir(), 'part10-fuzz-'));
  if (CORPUS_DIR !== undefined) mkdirSync(CORPUS_DIR, { recursive: true });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('header reader fuzzing', () => {
  it('starts from seeds the reader reads, each placed in a study', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(190);
    for (const seed of seeds.filter((s) => s.name.startsWith('generated/'))) {
      const result = parsePart10Header(seed.bytes, { only: FOLDER_TAGS });
      expect(result.ok && classify(seed.name, result).kind, seed.name).toBe('instance');
    }
  });

  it(`gives every one of ${MUTANTS} mutants a dataset or a named reason, never an exception or a hang`, () => {
    const reasons = new Map<string, number>();
    const count = (key: string) => reasons.set(key, (reasons.get(key) ?? 0) + 1);
    const file = join(scratch, 'mutant.dcm');
    const seedBytes = new Map(seeds.map((seed) => [seed.name, seed.bytes]));
    let slowestMs = 0;
    let grown = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + MUTANTS; seed++) {
      const mutant = makeMutant(seeds, seed);
      const label = `mutant ${seed} of ${mutant.source} (${mutant.mutations.join('; ')})`;
      if (CORPUS_DIR !== undefined) writeFileSync(join(CORPUS_DIR, `mutant-${seed}.dcm`), mutant.bytes);
      // A file within the first read is read whole, as the bytes are parsed below; only a longer
      // one takes the reader's growing reads, so only those are written out.
      const grows = mutant.bytes.length > FIRST_READ_BYTES;
      if (grows) {
        writeFileSync(file, mutant.bytes);
        grown++;
      }
      const startedAt = performance.now();
      let whole: HeaderResult;
      let selected: HeaderResult;
      let read: HeaderResult;
      try {
        whole = parsePart10Header(mutant.bytes);
        selected = parsePart10Header(mutant.bytes, { only: FOLDER_TAGS });
        read = grows ? readDicomHeaderSync(file, { only: FOLDER_TAGS }) : selected;
      } catch (error) {
        throw new Error(`${label} threw`, { cause: error });
      }
      slowestMs = Math.max(slowestMs, performance.now() - startedAt);
      for (const result of [whole, selected, read]) {
        if (result.ok) continue;
        expect(Object.keys(SKIP_REASON_LABEL), label).toContain(result.reason);
        expect(result.detail.length, label).toBeGreaterThan(0);
        expect(result.detail, label).not.toMatch(UNNAMED_ERROR);
        expect(result.detail, label).not.toMatch(CONTROL);
      }
      // Reading the file in growing slices sees what the whole bytes show.
      expect(outcomeOf(read), label).toEqual(outcomeOf(selected));
      // A reader that read the mutant's original first hands out its values again only where the
      // mutant's bytes, VR, byte order and character set leave them unchanged.
      const reuse = new ElementReuse();
      parsePart10Header(seedBytes.get(mutant.source) as Uint8Array, { only: FOLDER_TAGS, reuse });
      expect(parsePart10Header(mutant.bytes, { only: FOLDER_TAGS, reuse }), label).toEqual(selected);
      // Stepping over the elements the folder does not map can only find less to object to.
      if (whole.ok) expect(selected.ok, label).toBe(true);
      const placed = classify(file, read);
      if (placed.kind === 'skipped') {
        expect(Object.keys(FOLDER_SKIP_REASON_LABEL), label).toContain(placed.skipped.reason);
        count(placed.skipped.reason);
        continue;
      }
      let conversion;
      try {
        conversion = convertStudy([placed.dataset as Dataset]);
      } catch (error) {
        throw new Error(`${label} was read but not converted`, { cause: error });
      }
      expect(conversion.resource.resourceType, label).toBe('ImagingStudy');
      count('converted');
    }
    console.log(
      `${MUTANTS} mutants from seed ${FIRST_SEED} (${grown} read in growing slices): ${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ')}; slowest ${slowestMs.toFixed(1)} ms`,
    );
    expect(slowestMs).toBeLessThan(HANG_MS);
    expect(reasons.get('converted') ?? 0).toBeGreaterThan(MUTANTS / 10);
    expect(grown).toBeGreaterThan(MUTANTS / 100);
  });
});
