/**
 * Folder converter benchmark suite: header reading, pure conversion, the whole folder converter
 * and the CLI's peak memory, on copies of one CT template at two sizes, so both speed and how it
 * grows with study size are visible.
 */
import { execFile } from 'node:child_process';
import { open, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { convertStudy } from '../src/convert/index.js';
import type { Dataset } from '../src/dicom/dataset.js';
import { readDicomHeader } from '../src/dicom/part10/index.js';
import { DEFAULT_CONCURRENCY } from '../src/folder/index.js';
import { FOLDER_TAGS } from '../src/folder/read-headers.js';
import { generateCopies } from '../test/support/generate/copies.js';
import { cpuMicrosPerItem, median, rate, timeRuns, type Runs } from './stats.js';

const run = promisify(execFile);

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const CT_TEMPLATE = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const BASELINE_BYTES = 16 * 1024;

export interface FolderSuiteOptions {
  sizes: readonly number[];
  seriesPerStudy: number;
  repeats: number;
  /** Sizes for which the CLI's peak RSS is measured in a child process. */
  rssSizes: readonly number[];
  /** Sizes at which the CLI is compared with pydicom (slow: pydicom takes seconds per 1,000 files). */
  pydicomSizes: readonly number[];
  log: (line: string) => void;
}

export interface FolderSizeResult {
  instances: number;
  generateMs: number;
  reusedData: boolean;
  /** (a) first 16 KiB of every file, files/s. */
  baselineFilesPerSec: number;
  /** (b) readDicomHeader of every file, datasets dropped at once, files/s. */
  headerFilesPerSec: number;
  /** (c) convertStudy on the parsed datasets, instances/s. */
  convertInstancesPerSec: number;
  /** (d) convertFolder as built, instances/s. */
  folderInstancesPerSec: number;
  /** Median milliseconds of one convertFolder run. */
  folderMs: number;
  /** CPU microseconds per file or instance of (b), (c) and (d). */
  headerCpuMicros: number;
  convertCpuMicros: number;
  folderCpuMicros: number;
  /** (e) peak RSS of `dicom2fhir convert` on this study, MiB; absent when not measured. */
  cliPeakRssMiB?: number;
  cliMs?: number;
  /** (f) the whole CLI process against pydicom reading the same headers, runs alternated. */
  pydicom?: PydicomComparison;
}

/** Wall milliseconds of alternated runs: the CLI, then pydicom lazy, then pydicom decoding. */
export interface PydicomComparison {
  cliMs: number[];
  lazyMs: number[];
  decodeMs: number[];
}

function describeRuns(runs: Runs): string {
  return `wall ${runs.wallMs.map((ms) => Math.round(ms)).join(', ')} ms; CPU ${runs.cpuMs.map((ms) => Math.round(ms)).join(', ')} ms`;
}

/**
 * The folder converter as built (`npm run bench` builds first), which is what the CLI runs: run
 * from sources, each of its worker threads would compile the reader's TypeScript on every call.
 */
async function builtConvertFolder(): Promise<typeof import('../src/folder/index.js').convertFolder> {
  const built = (await import(pathToFileURL(join(REPO_ROOT, 'dist/folder/index.js')).href)) as typeof import('../src/folder/index.js');
  return built.convertFolder;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Same shape as the folder converter's pool: at most `limit` operations in flight. */
async function eachWithConcurrency<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function readPrefix(path: string, buffer: Buffer): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return bytesRead;
  } finally {
    await handle.close();
  }
}

/**
 * Reads every header with the converter's concurrency. With `keep`, returns the datasets (for the
 * pure conversion figure); without, drops each one at once, so the timing shows the reader
 * rather than the garbage collector walking thousands of retained datasets.
 */
async function parseAll(files: readonly string[], keep: boolean): Promise<Dataset[]> {
  const out: Dataset[] = keep ? new Array<Dataset>(files.length) : [];
  const failures: string[] = [];
  const indexed = files.map((path, at) => ({ path, at }));
  await eachWithConcurrency(indexed, DEFAULT_CONCURRENCY, async ({ path, at }) => {
    const result = await readDicomHeader(path);
    if (!result.ok) failures.push(`${path}: ${result.reason}`);
    else if (keep) out[at] = result.dataset;
  });
  if (failures.length > 0) throw new Error(`${failures.length} generated files did not parse, first: ${failures[0]}`);
  return out;
}

const PYDICOM_SCRIPT = join(REPO_ROOT, 'bench', 'pydicom-read.py');

/** Wall milliseconds of one process, which must exit 0. */
async function timeProcess(command: string, args: readonly string[]): Promise<number> {
  const start = performance.now();
  await run(command, args, { maxBuffer: 256 * 2 ** 20 });
  return performance.now() - start;
}

/**
 * The folder converter's whole process (`node` running the bin, output to a pipe) against
 * pydicom reading the same files' headers in one Python process: `lazy` is `dcmread` with
 * `stop_before_pixels` alone (pydicom then keeps values raw), `decode` also reads the value of
 * every element the converter maps, as our reader decodes them. Runs are alternated so both
 * sides see the same load. The system Python is used: Debian's python3-pydicom is installed for it.
 */
async function comparePydicom(dir: string, runs: number, log: (line: string) => void): Promise<PydicomComparison> {
  const cli = join(REPO_ROOT, 'dist/cli/main.js');
  const tags = [...FOLDER_TAGS].map((tag) => tag.toString(16).padStart(8, '0'));
  const result: PydicomComparison = { cliMs: [], lazyMs: [], decodeMs: [] };
  for (let i = 0; i < runs; i++) {
    result.cliMs.push(await timeProcess(process.execPath, [cli, 'convert', dir]));
    result.lazyMs.push(await timeProcess('/usr/bin/python3', [PYDICOM_SCRIPT, dir, 'lazy']));
    result.decodeMs.push(await timeProcess('/usr/bin/python3', [PYDICOM_SCRIPT, dir, 'decode', ...tags]));
    log(`  (f) CLI ${Math.round(result.cliMs[i] as number)} ms; pydicom lazy ${Math.round(result.lazyMs[i] as number)} ms, decoding ${Math.round(result.decodeMs[i] as number)} ms`);
  }
  return result;
}

/** Peak RSS via GNU time's "Maximum resident set size" of the CLI converting `dir`. */
async function measureCli(dir: string): Promise<{ peakRssMiB: number; ms: number }> {
  const cli = join(REPO_ROOT, 'dist/cli/main.js');
  const start = performance.now();
  const { stderr, stdout } = await run('/usr/bin/time', ['-v', process.execPath, cli, 'convert', dir], {
    maxBuffer: 256 * 2 ** 20,
  });
  const ms = performance.now() - start;
  if (stdout.length === 0) throw new Error('the CLI wrote no output');
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (match === null) throw new Error(`no peak RSS in /usr/bin/time output: ${stderr.slice(-300)}`);
  return { peakRssMiB: Number(match[1]) / 1024, ms };
}

export async function runFolderSuite(options: FolderSuiteOptions): Promise<FolderSizeResult[]> {
  const results: FolderSizeResult[] = [];
  for (const size of options.sizes) {
    const perSeries = Math.ceil(size / options.seriesPerStudy);
    const dataDir = join(REPO_ROOT, '.bench', `ct-${size}`);
    const genStart = performance.now();
    const manifest = await generateCopies(CT_TEMPLATE, dataDir, {
      studies: 1,
      seriesPerStudy: options.seriesPerStudy,
      instancesPerSeries: perSeries,
      seed: `bench-${size}`,
    });
    const generateMs = performance.now() - genStart;
    const studyDir = manifest.studies[0]?.directory;
    if (studyDir === undefined) throw new Error('generator returned no study');
    const files = await listFiles(studyDir);
    options.log(
      `${size}: ${files.length} files in ${studyDir} (${manifest.reused ? 'reused' : `generated in ${Math.round(generateMs)} ms`})`,
    );

    for (const path of files) await readFile(path);

    const buffer = Buffer.alloc(BASELINE_BYTES);
    const baseline = await timeRuns(options.repeats, () =>
      eachWithConcurrency(files, DEFAULT_CONCURRENCY, (path) => readPrefix(path, buffer)),
    );
    options.log(`  (a) baseline 16 KiB reads: ${describeRuns(baseline)}`);

    const header = await timeRuns(options.repeats, () => parseAll(files, false));
    options.log(`  (b) readDicomHeader: ${describeRuns(header)}`);

    const datasets = await parseAll(files, true);
    let converted = 0;
    const convert = await timeRuns(options.repeats, () => {
      converted = convertStudy(datasets).numberOfInstances;
    });
    if (converted !== files.length) throw new Error(`convertStudy counted ${converted} instances, expected ${files.length}`);
    options.log(`  (c) convertStudy: ${describeRuns(convert)}`);

    const convertFolder = await builtConvertFolder();
    const folder = await timeRuns(options.repeats, async () => {
      const result = await convertFolder(studyDir);
      const counted = result.outputs[0]?.numberOfInstances;
      if (counted !== files.length) throw new Error(`convertFolder counted ${counted} instances, expected ${files.length}`);
    });
    options.log(`  (d) convertFolder: ${describeRuns(folder)}`);

    const result: FolderSizeResult = {
      instances: files.length,
      generateMs,
      reusedData: manifest.reused,
      baselineFilesPerSec: rate(files.length, baseline),
      headerFilesPerSec: rate(files.length, header),
      convertInstancesPerSec: rate(files.length, convert),
      folderInstancesPerSec: rate(files.length, folder),
      folderMs: median(folder.wallMs),
      headerCpuMicros: cpuMicrosPerItem(files.length, header),
      convertCpuMicros: cpuMicrosPerItem(files.length, convert),
      folderCpuMicros: cpuMicrosPerItem(files.length, folder),
    };
    if (options.rssSizes.includes(size)) {
      const cliRuns: Array<{ peakRssMiB: number; ms: number }> = [];
      for (let i = 0; i < Math.min(options.repeats, 3); i++) cliRuns.push(await measureCli(studyDir));
      result.cliPeakRssMiB = median(cliRuns.map((r) => r.peakRssMiB));
      result.cliMs = median(cliRuns.map((r) => r.ms));
      options.log(`  (e) CLI peak RSS: ${cliRuns.map((r) => r.peakRssMiB.toFixed(0)).join(', ')} MiB`);
    }
    if (options.pydicomSizes.includes(size)) result.pydicom = await comparePydicom(studyDir, Math.min(options.repeats, 3), options.log);
    results.push(result);
  }
  return results;
}
