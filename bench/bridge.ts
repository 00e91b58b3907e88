/**
 * Bridge benchmark suite, against a real Orthanc with the DICOMweb plugin: (1) `dicom2fhir fetch`
 * of a 1,200-instance study against curl of the same WADO-RS metadata; (2) catch-up of a backlog
 * of small studies through the change feed against Orthanc serving their metadata alone; (3)
 * `GET /ImagingStudy/{id}` throughput of the bridge against a bare `node:http` server sending
 * the same bytes. Each comparison is with the cost Orthanc or Node imposes anyway, so the ratios
 * show what the bridge itself adds.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { startBridge } from '../src/bridge/app.js';
import { loadConfig, type Config } from '../src/config/index.js';
import { convertStudy } from '../src/convert/index.js';
import { createDicomWebClient, fetchStudyDatasets, fetchStudyMetadata } from '../src/dicomweb/index.js';
import { createLogger } from '../src/logging/index.js';
import { generateCopies, type CopiesManifest } from '../test/support/generate/copies.js';
import { freePort, startOrthanc, type OrthancHandle } from '../test/support/orthanc.js';
import type { RecordedResponse } from './bridge/bare-server.js';
import type { LoadResult } from './bridge/load.js';
import { firstJsonLine, spawnScript, stopChild, timeCommand } from './bridge/processes.js';
import { uploadInstances, waitForStableStudies, UPLOAD_CONCURRENCY } from './bridge/upload.js';
import { median } from './stats.js';
import { formatInt, formatTable } from './table.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const CT_TEMPLATE = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
export const BENCH_DIR = join(REPO_ROOT, '.bench');
const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** `dicom2fhir fetch` over curl of the same metadata, whole processes. */
export const TARGET_FETCH_RATIO = 1.25;
/** Catch-up studies/s of the bridge over Orthanc serving the same studies' metadata alone (uncompressed, same concurrency). */
export const TARGET_CATCH_UP_RATIO = 0.9;
/** Bridge reads over a bare `node:http` server sending the same bytes. */
export const TARGET_READ_RATIO = 0.5;

export interface BridgeSuiteOptions {
  repeats: number;
  /** Instances of the large study: 4 series. */
  largeInstances: number;
  backlogStudies: number;
  backlogInstancesPerStudy: number;
  /** SYNC_CONCURRENCY of the bridge, and concurrency of the Orthanc-only baseline. */
  syncConcurrency: number;
  connections: number;
  loadSeconds: number;
  /** Load rounds per server (interleaved bridge, bare, bridge, …). */
  loadRounds: number;
  log: (line: string) => void;
}

export interface FetchResult {
  instances: number;
  fetchMs: number[];
  curlMs: number[];
  /** curl's own `time_total`: Orthanc answering the metadata request, without curl's start-up. */
  curlTransferMs: number[];
  nodeStartMs: number[];
  /** In this (warm) process: the former whole-answer WADO-RS request with JSON parse (baseline), and conversion with serialization. */
  requestMs: number[];
  /** In this (warm) process: the streamed per-series requests the CLI and the bridge use. */
  streamMs: number[];
  convertMs: number[];
  outputBytes: number;
  /** Size of the WADO-RS metadata answer (DICOM JSON). */
  metadataBytes: number;
}

export interface CatchUpResult {
  studies: number;
  instancesPerStudy: number;
  concurrency: number;
  /** Bridge start (empty DATA_DIR) until every study is in the store. */
  bridgeMs: number[];
  /** The same studies' WADO-RS metadata read from Orthanc with the same concurrency. */
  orthancMs: number[];
}

/** One load run and the CPU the server process spent on it. */
export interface ServedLoad extends LoadResult {
  /** Server CPU (user + system) per answered request, µs: insensitive to the load generator's own limits. */
  serverCpuMicrosPerRequest: number;
}

export interface ReadResult {
  label: string;
  bodyBytes: number;
  connections: number;
  bridge: ServedLoad[];
  bare: ServedLoad[];
}

export interface BridgeSuiteResult {
  upload: { files: number; ms: number; concurrency: number };
  fetch: FetchResult;
  catchUp: CatchUpResult;
  reads: ReadResult[];
}

export async function dicomFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.dcm'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function bridgeConfig(orthanc: OrthancHandle, dataDir: string, concurrency: number): Config {
  const loaded = loadConfig({
    ORTHANC_URL: orthanc.url,
    DATA_DIR: dataDir,
    PORT: '0',
    SYNC_CRON: 'off',
    CHANGES_POLL_INTERVAL: '200ms',
    SYNC_CONCURRENCY: String(concurrency),
    LOG_LEVEL: 'warn',
  });
  if (!loaded.ok) throw new Error(`bridge configuration refused: ${loaded.problems.join('; ')}`);
  return loaded.config;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a bridge on `dataDir` and resolves once its store holds `studies` studies; returns the wall ms. */
export async function bridgeCatchUp(orthanc: OrthancHandle, dataDir: string, studies: number, concurrency: number): Promise<number> {
  const config = bridgeConfig(orthanc, dataDir, concurrency);
  const start = performance.now();
  const bridge = await startBridge(config, { logger: createLogger({ level: 'warn' }) });
  try {
    const deadline = Date.now() + 300_000;
    while (bridge.store.listStudyInstanceUids().length < studies) {
      const failures = bridge.sync.status().failures;
      if (failures.length > 0) throw new Error(`sync failed for ${failures.length} studies, e.g. ${failures[0]?.studyInstanceUid}: ${failures[0]?.lastError}`);
      if (Date.now() > deadline) throw new Error(`bridge stored ${bridge.store.listStudyInstanceUids().length} of ${studies} studies in 300 s`);
      await sleep(10);
    }
    return performance.now() - start;
  } finally {
    await bridge.stop();
  }
}

/**
 * Every study's WADO-RS metadata, `concurrency` requests at a time, bodies read to the end.
 * Uncompressed, as the bridge asks for it: Node's fetch otherwise asks for gzip, which Orthanc
 * then spends CPU compressing (and this process inflating) — work the bridge's side never has.
 */
export async function orthancMetadataOnly(dicomWebUrl: string, uids: readonly string[], concurrency: number, encoding: 'identity' | 'gzip' = 'identity'): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < uids.length) {
      const uid = uids[next++] as string;
      const response = await fetch(`${dicomWebUrl}/studies/${uid}/metadata`, {
        headers: { accept: 'application/dicom+json', 'accept-encoding': encoding === 'gzip' ? 'gzip, deflate' : 'identity' },
      });
      const body = await response.arrayBuffer();
      if (!response.ok || body.byteLength === 0) throw new Error(`Orthanc metadata of ${uid}: HTTP ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, uids.length) }, worker));
  return performance.now() - start;
}

async function captureCommand(command: string, args: readonly string[]): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`${command} exited with code ${code ?? 'none'}`);
  return { ms: performance.now() - start, stdout };
}

async function measureFetch(orthanc: OrthancHandle, uid: string, instances: number, repeats: number, log: (line: string) => void): Promise<FetchResult> {
  const url = `${orthanc.dicomWebUrl}/studies/${uid}/metadata`;
  const result: FetchResult = { instances, fetchMs: [], curlMs: [], curlTransferMs: [], nodeStartMs: [], requestMs: [], streamMs: [], convertMs: [], outputBytes: 0, metadataBytes: 0 };
  // One untimed round of each warms Orthanc's and the OS's caches for both sides alike.
  await timeCommand(process.execPath, [CLI, 'fetch', uid, '--url', orthanc.dicomWebUrl]);
  await captureCommand('curl', ['-s', '-o', '/dev/null', url]);
  for (let i = 0; i < repeats; i++) {
    result.fetchMs.push(await timeCommand(process.execPath, [CLI, 'fetch', uid, '--url', orthanc.dicomWebUrl]));
    const curl = await captureCommand('curl', ['-s', '-f', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', url]);
    const [seconds, size] = curl.stdout.trim().split(' ');
    result.curlMs.push(curl.ms);
    result.curlTransferMs.push(Number(seconds) * 1000);
    result.metadataBytes = Number(size);
    result.nodeStartMs.push(await timeCommand(process.execPath, ['-e', '0']));
  }
  log(`  fetch ${result.fetchMs.map(Math.round).join(', ')} ms; curl ${result.curlMs.map(Math.round).join(', ')} ms`);
  const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl });
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const datasets = await fetchStudyMetadata(client, uid);
    const fetched = performance.now();
    if (datasets === undefined || datasets.length !== instances) throw new Error(`metadata of ${uid}: ${datasets?.length ?? 0} datasets, expected ${instances}`);
    const conversion = convertStudy(datasets, { fhirVersion: 'R4', format: 'imagingstudy', endpoint: { kind: 'dicomweb', baseUrl: client.baseUrl } });
    const text = JSON.stringify(conversion.resource, null, 2) + '\n';
    result.requestMs.push(fetched - start);
    result.convertMs.push(performance.now() - fetched);
    result.outputBytes = Buffer.byteLength(text);
    const streamStart = performance.now();
    const streamed = await fetchStudyDatasets(client, uid);
    if (streamed === undefined || streamed.length !== instances) throw new Error(`streamed metadata of ${uid}: ${streamed?.length ?? 0} datasets, expected ${instances}`);
    result.streamMs.push(performance.now() - streamStart);
  }
  return result;
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dicom2fhir serve exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then(
      async (r) => {
        await r.arrayBuffer();
        return r.ok;
      },
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('dicom2fhir serve did not answer /healthz within 30 s');
    await sleep(100);
  }
}

/** Headers the bare server must not copy: per-connection or regenerated by node:http. */
const HOP_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

async function recordResponse(url: string): Promise<RecordedResponse> {
  const response = await fetch(url, { headers: { accept: 'application/fhir+json' } });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status} ${body.toString('utf8').slice(0, 300)}`);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!HOP_HEADERS.has(name)) headers[name] = value;
  });
  return { headers, bodyBase64: body.toString('base64') };
}

/** User + system CPU milliseconds of a live process, from `/proc/<pid>/stat` (fields 14 and 15, in clock ticks). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SEC;
}

/** `getconf CLK_TCK` on Linux. */
const CLOCK_TICKS_PER_SEC = 100;

async function runLoad(url: string, server: ChildProcess, connections: number, seconds: number): Promise<ServedLoad> {
  const pid = server.pid;
  if (pid === undefined) throw new Error('server process has no pid');
  const cpuBefore = processCpuMs(pid);
  const result = await firstJsonLine<LoadResult>(spawnScript('load.ts', [url, String(connections), String(seconds * 1000), '1000']));
  const cpuMs = processCpuMs(pid) - cpuBefore;
  return { ...result, serverCpuMicrosPerRequest: result.allRequests === 0 ? Number.NaN : (cpuMs * 1000) / result.allRequests };
}

async function measureReads(
  orthanc: OrthancHandle,
  dataDir: string,
  studies: Array<{ label: string; id: string }>,
  options: BridgeSuiteOptions,
): Promise<ReadResult[]> {
  const port = await freePort();
  const devNull = openSync('/dev/null', 'w');
  // The product as deployed: `dicom2fhir serve` in its own process, default log level (one line per request).
  const serve = spawn(process.execPath, [CLI, 'serve'], {
    stdio: ['ignore', devNull, 'pipe'],
    env: { ...process.env, ORTHANC_URL: orthanc.url, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', SYNC_CRON: 'off', CHANGES_POLL_INTERVAL: '0' },
  });
  closeSync(devNull);
  const bridgeUrl = `http://127.0.0.1:${port}`;
  const results: ReadResult[] = [];
  try {
    await waitForHealth(bridgeUrl, serve);
    for (const study of studies) {
      const readUrl = `${bridgeUrl}/ImagingStudy/${study.id}`;
      const recorded = await recordResponse(readUrl);
      const file = join(BENCH_DIR, `bridge-response-${study.label}.json`);
      writeFileSync(file, JSON.stringify(recorded));
      const bare = spawnScript('bare-server.ts', [file]);
      try {
        const { port: barePort } = await firstJsonLine<{ port: number }>(bare);
        const result: ReadResult = { label: study.label, bodyBytes: Buffer.from(recorded.bodyBase64, 'base64').length, connections: options.connections, bridge: [], bare: [] };
        for (let round = 0; round < options.loadRounds; round++) {
          result.bridge.push(await runLoad(readUrl, serve, options.connections, options.loadSeconds));
          result.bare.push(await runLoad(`http://127.0.0.1:${barePort}/ImagingStudy/${study.id}`, bare, options.connections, options.loadSeconds));
        }
        options.log(
          `  reads ${study.label}: bridge ${result.bridge.map((r) => Math.round(r.requestsPerSec)).join(', ')} req/s; ` +
            `bare ${result.bare.map((r) => Math.round(r.requestsPerSec)).join(', ')} req/s`,
        );
        results.push(result);
      } finally {
        await stopChild(bare);
        rmSync(file, { force: true });
      }
    }
  } finally {
    await stopChild(serve);
  }
  return results;
}

export async function runBridgeSuite(options: BridgeSuiteOptions): Promise<BridgeSuiteResult> {
  const { log } = options;
  mkdirSync(BENCH_DIR, { recursive: true });
  const seriesPerStudy = 4;
  const large: CopiesManifest = await generateCopies(CT_TEMPLATE, join(BENCH_DIR, `bridge-large-${options.largeInstances}`), {
    studies: 1,
    seriesPerStudy,
    instancesPerSeries: Math.ceil(options.largeInstances / seriesPerStudy),
    seed: 'bridge-large',
  });
  const backlog = await generateCopies(CT_TEMPLATE, join(BENCH_DIR, `bridge-backlog-${options.backlogStudies}x${options.backlogInstancesPerStudy}`), {
    studies: options.backlogStudies,
    seriesPerStudy: 1,
    instancesPerSeries: options.backlogInstancesPerStudy,
    seed: 'bridge-backlog',
  });
  const largeStudy = large.studies[0];
  if (largeStudy === undefined) throw new Error('no large study generated');
  const backlogUids = backlog.studies.map((s) => s.studyInstanceUid);

  log('bridge: starting Orthanc');
  const orthanc = await startOrthanc({ stableAgeSeconds: 1 });
  const dataDirs: string[] = [];
  try {
    const backlogFiles = await dicomFiles(join(BENCH_DIR, `bridge-backlog-${options.backlogStudies}x${options.backlogInstancesPerStudy}`));
    const largeFiles = await dicomFiles(join(BENCH_DIR, `bridge-large-${options.largeInstances}`));
    log(`bridge: uploading ${backlogFiles.length} backlog instances`);
    let uploadMs = 0;
    let start = performance.now();
    await uploadInstances(orthanc.url, backlogFiles);
    uploadMs += performance.now() - start;
    await waitForStableStudies(orthanc.url, backlogUids.length);

    log(`bridge: catch-up of ${backlogUids.length} studies (bridge, then Orthanc metadata alone) x ${options.repeats}`);
    const catchUp: CatchUpResult = {
      studies: backlogUids.length,
      instancesPerStudy: options.backlogInstancesPerStudy,
      concurrency: options.syncConcurrency,
      bridgeMs: [],
      orthancMs: [],
    };
    for (let i = 0; i < options.repeats; i++) {
      const dataDir = mkdtempSync(join(BENCH_DIR, 'bridge-data-'));
      dataDirs.push(dataDir);
      catchUp.bridgeMs.push(await bridgeCatchUp(orthanc, dataDir, backlogUids.length, options.syncConcurrency));
      catchUp.orthancMs.push(await orthancMetadataOnly(orthanc.dicomWebUrl, backlogUids, options.syncConcurrency));
    }
    log(`  bridge ${catchUp.bridgeMs.map(Math.round).join(', ')} ms; Orthanc ${catchUp.orthancMs.map(Math.round).join(', ')} ms`);

    log(`bridge: uploading ${largeFiles.length} instances of one study`);
    start = performance.now();
    await uploadInstances(orthanc.url, largeFiles);
    uploadMs += performance.now() - start;
    await waitForStableStudies(orthanc.url, backlogUids.length + 1);

    log(`bridge: fetch vs curl of the ${largeFiles.length}-instance study x ${options.repeats}`);
    const fetchResult = await measureFetch(orthanc, largeStudy.studyInstanceUid, largeFiles.length, options.repeats, log);

    // The last catch-up store resumes the change feed and takes the large study too.
    const readDir = dataDirs[dataDirs.length - 1] as string;
    await bridgeCatchUp(orthanc, readDir, backlogUids.length + 1, options.syncConcurrency);
    log(`bridge: GET /ImagingStudy/{id}, ${options.connections} connections, ${options.loadSeconds} s x ${options.loadRounds} rounds each`);
    const reads = await measureReads(
      orthanc,
      readDir,
      [
        { label: `${options.backlogInstancesPerStudy} instances`, id: backlogUids[0] as string },
        { label: `${largeFiles.length} instances`, id: largeStudy.studyInstanceUid },
      ],
      options,
    );
    return {
      upload: { files: backlogFiles.length + largeFiles.length, ms: uploadMs, concurrency: UPLOAD_CONCURRENCY },
      fetch: fetchResult,
      catchUp,
      reads,
    };
  } finally {
    await orthanc.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

const ms = (values: readonly number[]): string => median(values).toFixed(0);
const rps = (runs: readonly ServedLoad[]): number => median(runs.map((r) => r.requestsPerSec));
const cpuPerRequest = (runs: readonly ServedLoad[]): number => median(runs.map((r) => r.serverCpuMicrosPerRequest));

/** Tables and target lines for `bench/main.ts` to print. */
export function formatBridgeResults(r: BridgeSuiteResult): string[] {
  const f = r.fetch;
  const fetchRatio = median(f.fetchMs) / median(f.curlMs);
  const c = r.catchUp;
  const bridgeRate = c.studies / (median(c.bridgeMs) / 1000);
  const orthancRate = c.studies / (median(c.orthancMs) / 1000);
  const lines: string[] = [];
  lines.push(
    `Setup: ${formatInt(r.upload.files)} instances uploaded (POST /instances, ${r.upload.concurrency} in parallel) in ${(r.upload.ms / 1000).toFixed(1)} s ` +
      `= ${formatInt(r.upload.files / (r.upload.ms / 1000))} instances/s`,
  );
  lines.push('');
  lines.push(`(1) Study of ${formatInt(f.instances)} instances, whole processes, median ms`);
  lines.push(
    formatTable(
      ['dicom2fhir fetch', 'curl metadata', 'ratio', 'curl time_total', 'node -e 0', 'whole request+parse', 'streamed', 'convert+serialize', 'metadata bytes', 'output bytes'],
      [[ms(f.fetchMs), ms(f.curlMs), `${fetchRatio.toFixed(2)}x`, ms(f.curlTransferMs), ms(f.nodeStartMs), ms(f.requestMs), ms(f.streamMs), ms(f.convertMs), formatInt(f.metadataBytes), formatInt(f.outputBytes)]],
    ),
  );
  lines.push('  (whole request+parse: the former path, one string and JSON.parse, as baseline; streamed: per-series requests read');
  lines.push('  incrementally, what fetch and the bridge use; both and convert+serialize timed in a warm process)');
  lines.push('');
  lines.push(`(2) Catch-up of ${formatInt(c.studies)} studies x ${c.instancesPerStudy} instances, concurrency ${c.concurrency}`);
  lines.push(
    formatTable(
      ['', 'median ms', 'studies/s'],
      [
        ['bridge (start, change feed, store)', ms(c.bridgeMs), bridgeRate.toFixed(1)],
        ['Orthanc metadata alone', ms(c.orthancMs), orthancRate.toFixed(1)],
      ],
    ),
  );
  lines.push('');
  lines.push('(3) GET /ImagingStudy/{id}, keep-alive, load generator in its own process, `dicom2fhir serve` at its default log level');
  lines.push(
    formatTable(
      ['study', 'body bytes', 'connections', 'bridge req/s', 'bare node:http req/s', 'ratio', 'server CPU µs/req bridge / bare', 'failures'],
      r.reads.map((x) => [
        x.label,
        formatInt(x.bodyBytes),
        String(x.connections),
        formatInt(rps(x.bridge)),
        formatInt(rps(x.bare)),
        `${(rps(x.bridge) / rps(x.bare)).toFixed(2)}x`,
        `${cpuPerRequest(x.bridge).toFixed(0)} / ${cpuPerRequest(x.bare).toFixed(0)}`,
        String([...x.bridge, ...x.bare].reduce((n, l) => n + l.failures, 0)),
      ]),
    ),
  );
  lines.push('');
  lines.push('Targets');
  lines.push(`- fetch <= ${TARGET_FETCH_RATIO}x curl: ${fetchRatio.toFixed(2)}x (${verdict(fetchRatio <= TARGET_FETCH_RATIO)})`);
  const catchUpRatio = bridgeRate / orthancRate;
  lines.push(
    `- catch-up >= ${TARGET_CATCH_UP_RATIO}x Orthanc's metadata alone: bridge ${bridgeRate.toFixed(1)} studies/s = ${catchUpRatio.toFixed(2)}x ` +
      `(${orthancRate.toFixed(1)} studies/s) (${verdict(catchUpRatio >= TARGET_CATCH_UP_RATIO)})`,
  );
  for (const x of r.reads) {
    const ratio = rps(x.bridge) / rps(x.bare);
    const cpuRatio = cpuPerRequest(x.bare) / cpuPerRequest(x.bridge);
    lines.push(
      `- reads >= ${TARGET_READ_RATIO}x bare node:http (${x.label}): ${ratio.toFixed(2)}x requests/s (${verdict(ratio >= TARGET_READ_RATIO)}); ` +
        `by server CPU per request ${cpuRatio.toFixed(2)}x (${verdict(cpuRatio >= TARGET_READ_RATIO)})`,
    );
  }
  return lines;
}
