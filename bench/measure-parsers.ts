/**
 * Measures header parsing speed of this reader against `dicom-parser` plus a conversion to the
 * DICOM JSON model (which that library does not produce). Run: `npx tsx bench/measure-parsers.ts [copies]`.
 * Corpora: N copies of pydicom's CT_small.dcm, and every file of the pydicom test set.
 */
import { copyFile, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import type { Dataset, DicomElement } from '../src/dicom/dataset.js';
import { characterSetDecoder, DEFAULT_CHARACTER_SET, type TextDecodeFn } from '../src/dicom/part10/charset.js';
import { parsePart10Header, readDicomHeader, readDicomHeaderSync } from '../src/dicom/part10/index.js';
import { decodeElement, type Source } from '../src/dicom/part10/values.js';
import { dictionaryVr } from '../src/dicom/part10/vr-dictionary.js';

const PYDICOM_DATA = '/usr/lib/python3/dist-packages/pydicom/data';
const ROUNDS = 5;

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** dicom-parser's element tree → DICOM JSON, with the same value rules as this reader. */
function convert(set: dicomParser.DataSet, inherited: TextDecodeFn): Dataset {
  const bytes = Buffer.from(set.byteArray.buffer, set.byteArray.byteOffset, set.byteArray.byteLength);
  const src: Source = {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    littleEndian: set.byteArrayParser !== (dicomParser as unknown as { bigEndianByteArrayParser: unknown }).bigEndianByteArrayParser,
  };
  let text = inherited;
  const charset = set.elements['x00080005'];
  if (charset !== undefined) {
    const terms = set.string('x00080005') ?? '';
    text = terms === '' ? DEFAULT_CHARACTER_SET : characterSetDecoder(terms.split('\\'));
  }
  const out: Dataset = {};
  for (const [key, element] of Object.entries(set.elements)) {
    const tag = Number.parseInt(key.slice(1), 16);
    if (((tag >>> 16) & 1) === 1 || (tag & 0xffff) === 0) continue;
    const name = key.slice(1).toUpperCase();
    if (element.items !== undefined) {
      out[name] = { vr: 'SQ', Value: element.items.map((item) => (item.dataSet ? convert(item.dataSet, text) : {})) };
      continue;
    }
    const vr = element.vr ?? dictionaryVr(tag);
    const decoded: DicomElement | undefined = decodeElement(vr, src, element.dataOffset, element.dataOffset + element.length, text);
    if (decoded !== undefined) out[name] = decoded;
  }
  return out;
}

function viaDicomParser(bytes: Uint8Array): Dataset | undefined {
  try {
    const set = dicomParser.parseDicom(bytes, {
      untilTag: 'x7fe00010',
      vrCallback: ((tag: string) => dictionaryVr(Number.parseInt(tag.slice(1), 16))) as (tag: string) => void,
    });
    return convert(set, DEFAULT_CHARACTER_SET);
  } catch (error) {
    failures.dicomParser.push(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

const failures = { dicomParser: [] as string[] };

/**
 * Best of ROUNDS, by wall clock and by this process's CPU time: on a shared machine the CPU
 * figure is the one that shows the parser's own cost.
 */
function rate(label: string, files: number, run: () => void): void {
  let bestWall = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    run();
    bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - start) / 1e9);
    const used = process.cpuUsage(cpu);
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
  }
  const perWall = Math.round(files / bestWall).toString().padStart(8);
  const perCpu = Math.round(files / bestCpu).toString().padStart(8);
  console.log(`${label.padEnd(48)} ${perWall} files/s wall ${perCpu} files/s per CPU second`);
}

async function rateAsync(label: string, files: number, run: () => Promise<void>): Promise<void> {
  let bestWall = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await run();
    bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - start) / 1e9);
    const used = process.cpuUsage(cpu);
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
  }
  const perWall = Math.round(files / bestWall).toString().padStart(8);
  const perCpu = Math.round(files / bestCpu).toString().padStart(8);
  console.log(`${label.padEnd(48)} ${perWall} files/s wall ${perCpu} files/s per CPU second`);
}

async function main(): Promise<void> {
  const copies = Number(process.argv[2] ?? 1000);
  const ctSmall = join(PYDICOM_DATA, 'test_files', 'CT_small.dcm');
  const ct = new Uint8Array(await readFile(ctSmall));
  const corpus = [...(await walk(join(PYDICOM_DATA, 'test_files'))), ...(await walk(join(PYDICOM_DATA, 'charset_files')))];
  const corpusBytes = await Promise.all(corpus.map(async (path) => new Uint8Array(await readFile(path))));
  const sizes = await Promise.all(corpus.map(async (path) => (await stat(path)).size));

  console.log(`in memory, ${copies} × CT_small.dcm`);
  rate('  this reader (parsePart10Header)', copies, () => {
    for (let i = 0; i < copies; i++) parsePart10Header(ct);
  });
  rate('  dicom-parser + conversion to DICOM JSON', copies, () => {
    for (let i = 0; i < copies; i++) viaDicomParser(ct);
  });

  console.log(`in memory, pydicom test set (${corpus.length} files)`);
  let ours = 0;
  rate('  this reader (parsePart10Header)', corpus.length, () => {
    ours = 0;
    corpusBytes.forEach((bytes, i) => {
      if (parsePart10Header(bytes, { fileSize: sizes[i] }).ok) ours++;
    });
  });
  let theirs = 0;
  rate('  dicom-parser + conversion to DICOM JSON', corpus.length, () => {
    theirs = 0;
    failures.dicomParser = [];
    for (const bytes of corpusBytes) if (viaDicomParser(bytes) !== undefined) theirs++;
  });
  console.log(`  datasets produced: this reader ${ours}, dicom-parser ${theirs} (${failures.dicomParser.length} threw)`);

  const dir = await mkdtemp(join(tmpdir(), 'measure-parsers-'));
  try {
    const paths: string[] = [];
    for (let i = 0; i < copies; i++) {
      const path = join(dir, `ct-${i}.dcm`);
      await copyFile(ctSmall, path);
      paths.push(path);
    }
    console.log(`from disk (page cache), ${copies} × CT_small.dcm, sequential`);
    await rateAsync('  this reader (readDicomHeader, partial reads)', copies, async () => {
      for (const path of paths) await readDicomHeader(path);
    });
    await rateAsync('  this reader (readDicomHeaderSync, partial reads)', copies, async () => {
      for (const path of paths) readDicomHeaderSync(path);
    });
    await rateAsync('  readFile + dicom-parser + conversion', copies, async () => {
      for (const path of paths) viaDicomParser(new Uint8Array(await readFile(path)));
    });
    console.log(`from disk, ${copies} × CT_small.dcm, 8 reads in flight`);
    await rateAsync('  this reader (readDicomHeader, partial reads) ', copies, async () => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < paths.length) await readDicomHeader(paths[next++]!);
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
