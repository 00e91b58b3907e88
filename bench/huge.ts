/**
 * Huge-study suite: one study of 30,000 copies of CT_small.dcm (4 series, ~600 MB of WADO-RS
 * metadata) in a real Orthanc. `dicom2fhir fetch` and the bridge's sync (`dicom2fhir serve`, from
 * an empty store through the change feed) against curl downloading the same study metadata, with
 * each process's peak RSS (its own VmHWM). The whole-answer path cannot read this study at all
 * (the answer is beyond V8's longest string), so curl is the baseline.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCopies } from '../test/support/generate/copies.js';
import { freePort, startOrthanc } from '../test/support/orthanc.js';
import { withPeakRss } from '../test/support/peak-rss.js';
import { uploadInstances, waitForStableStudies } from './bridge/upload.js';
import { formatInt, formatTable } from './table.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CT_TEMPLATE = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const BENCH_DIR = join(REPO_ROOT, '.bench');
const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

export const TARGET_FETCH_RSS_MIB = 300;
export const TARGET_BRIDGE_RSS_MIB = 400;
export const TARGET_HUGE_FETCH_RATIO = 1.25;

export interface HugeSuiteOptions {
  instances: number;
  series: number;
  repeats: number;
  log: (line: string) => void;
}

export interface HugeResult {
  instances: number;
  series: number;
  uploadMs: number;
  metadataBytes: number;
  curlMs: number[];
  fetchMs: number[];
  fetchRssMiB: number[];
  /** Bridge start on an empty store until GET /ImagingStudy/{uid} answers 200. */
  bridgeMs: number[];
  bridgeRssMiB: number[];
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runTimed(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  const start = performance.now();
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    if (stdout.length < 4096) stdout += b.toString('utf8');
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
  });
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr, ms: performance.now() - start }));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runHugeSuite(options: HugeSuiteOptions): Promise<HugeResult> {
  const { log } = options;
  mkdirSync(BENCH_DIR, { recursive: true });
  const dir = join(BENCH_DIR, `huge-${options.instances}`);
  const manifest = await generateCopies(CT_TEMPLATE, dir, {
    studies: 1,
    seriesPerStudy: options.series,
    instancesPerSeries: Math.ceil(options.instances / options.series),
    seed: 'huge',
  });
  const uid = manifest.studies[0]?.studyInstanceUid;
  if (uid === undefined) throw new Error('no study generated');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith('.dcm'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  log(`huge: starting Orthanc, uploading ${files.length} instances`);
  const orthanc = await startOrthanc({ stableAgeSeconds: 1 });
  const dataDirs: string[] = [];
  try {
    const uploadStart = performance.now();
    await uploadInstances(orthanc.url, files);
    const uploadMs = performance.now() - uploadStart;
    await waitForStableStudies(orthanc.url, 1, 600_000);
    const result: HugeResult = { instances: files.length, series: options.series, uploadMs, metadataBytes: 0, curlMs: [], fetchMs: [], fetchRssMiB: [], bridgeMs: [], bridgeRssMiB: [] };
    const url = `${orthanc.dicomWebUrl}/studies/${uid}/metadata`;
    for (let i = 0; i < options.repeats; i++) {
      const curl = await runTimed('curl', ['-s', '-f', '-o', '/dev/null', '-w', '%{size_download}', url]);
      if (curl.code !== 0) throw new Error(`curl failed (${curl.code}): ${curl.stderr}`);
      result.curlMs.push(curl.ms);
      result.metadataBytes = Number(curl.stdout.trim());
      log(`  curl ${Math.round(curl.ms)} ms, ${formatInt(result.metadataBytes)} bytes`);

      const fetched = await withPeakRss((env) => runTimed(process.execPath, [CLI, 'fetch', uid, '--url', orthanc.dicomWebUrl, '--out', '/dev/null'], env));
      if (fetched.result.code !== 0) throw new Error(`dicom2fhir fetch failed (${fetched.result.code}): ${fetched.result.stderr.slice(-2000)}`);
      result.fetchMs.push(fetched.result.ms);
      result.fetchRssMiB.push(fetched.peakRssMiB);
      log(`  fetch ${Math.round(fetched.result.ms)} ms, peak RSS ${fetched.peakRssMiB.toFixed(0)} MiB: ${fetched.result.stderr.trim().split('\n')[0]}`);

      const dataDir = mkdtempSync(join(BENCH_DIR, 'huge-data-'));
      dataDirs.push(dataDir);
      const port = await freePort();
      const bridge = await withPeakRss(async (env) => {
        const start = performance.now();
        const child = spawn(process.execPath, [CLI, 'serve'], {
          env: { ...process.env, ...env, ORTHANC_URL: orthanc.url, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', SYNC_CRON: 'off', CHANGES_POLL_INTERVAL: '200ms', LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => {
          stderr += b.toString('utf8');
        });
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        let ms: number | undefined;
        const deadline = Date.now() + 900_000;
        while (ms === undefined && Date.now() < deadline && child.exitCode === null) {
          await sleep(200);
          const response = await fetch(`http://127.0.0.1:${port}/ImagingStudy/${uid}`).catch(() => undefined);
          if (response?.status === 200) ms = performance.now() - start;
          await response?.arrayBuffer();
        }
        child.kill('SIGTERM');
        await exited;
        if (ms === undefined) throw new Error(`the bridge did not store the study: ${stderr.slice(-2000)}`);
        return ms;
      });
      result.bridgeMs.push(bridge.result);
      result.bridgeRssMiB.push(bridge.peakRssMiB);
      log(`  bridge sync ${Math.round(bridge.result)} ms, peak RSS ${bridge.peakRssMiB.toFixed(0)} MiB`);
    }
    return result;
  } finally {
    await orthanc.stop();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  }
}

const max = (values: readonly number[]): number => Math.max(...values);
const min = (values: readonly number[]): number => Math.min(...values);
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

export function formatHugeResults(r: HugeResult): string[] {
  const ratio = min(r.fetchMs) / min(r.curlMs);
  const lines = [
    `Setup: ${formatInt(r.instances)} instances in ${r.series} series uploaded in ${(r.uploadMs / 1000).toFixed(0)} s; ${formatInt(r.metadataBytes)} bytes of study metadata`,
    formatTable(
      ['', 'wall s (each run)', 'peak RSS MiB'],
      [
        ['curl study metadata', r.curlMs.map((ms) => (ms / 1000).toFixed(1)).join(', '), '-'],
        ['dicom2fhir fetch (instances listed)', r.fetchMs.map((ms) => (ms / 1000).toFixed(1)).join(', '), r.fetchRssMiB.map((m) => m.toFixed(0)).join(', ')],
        ['dicom2fhir serve: start to stored', r.bridgeMs.map((ms) => (ms / 1000).toFixed(1)).join(', '), r.bridgeRssMiB.map((m) => m.toFixed(0)).join(', ')],
      ],
    ),
    'Targets',
    `- fetch peak RSS <= ${TARGET_FETCH_RSS_MIB} MiB: ${max(r.fetchRssMiB).toFixed(0)} (${verdict(max(r.fetchRssMiB) <= TARGET_FETCH_RSS_MIB)})`,
    `- bridge peak RSS <= ${TARGET_BRIDGE_RSS_MIB} MiB: ${max(r.bridgeRssMiB).toFixed(0)} (${verdict(max(r.bridgeRssMiB) <= TARGET_BRIDGE_RSS_MIB)})`,
    `- fetch <= ${TARGET_HUGE_FETCH_RATIO}x curl (best runs): ${ratio.toFixed(2)}x (${verdict(ratio <= TARGET_HUGE_FETCH_RATIO)}; below 1.0 when per-series requests beat the one study request)`,
  ];
  return lines;
}
