/**
 * A study too large for the whole-answer path under a low memory limit, uploaded to a real
 * Orthanc: `dicom2fhir fetch` and the bridge's sync (`dicom2fhir serve`) read it as a stream
 * within the limit, where the same Node process reading the answer whole (the former path:
 * one string, one `JSON.parse`) runs out of heap or exceeds the limit. Peak RSS is each child's
 * own VmHWM. The 30,000-instance run belongs to the benchmark (`npm run bench -- huge`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle, ImagingStudy } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI } from '../cli/run-cli.js';
import { generateCopies, type GeneratedStudy } from '../support/generate/copies.js';
import { freePort, startOrthanc, type OrthancHandle } from '../support/orthanc.js';
import { withPeakRss } from '../support/peak-rss.js';

const CT_SMALL = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const SERIES = 4;
const PER_SERIES = 600;
const INSTANCES = SERIES * PER_SERIES;
/** V8 heap of every child: the streamed path fits, the ~47 MB answer read whole does not. */
const HEAP_MIB = 64;
/** Peak resident memory allowed to the streamed fetch (Node itself takes ~45 MiB). */
const PEAK_RSS_LIMIT_MIB = 160;
/** The same for the bridge, which also holds its HTTP server, store and schedulers (~125 MiB measured). */
const BRIDGE_PEAK_RSS_LIMIT_MIB = 224;
const LISTED = 1000;
/** SOP Class UID of CT_small.dcm. */
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<ChildRun> } {
  const child = spawn(process.execPath, args, { env: { ...process.env, DEBUG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<ChildRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
  return { child, done };
}

const run = (args: string[], env: Record<string, string>): Promise<ChildRun> => start(args, env).done;

/** `NODE_OPTIONS` of the preload plus the heap limit. */
const limited = (env: Record<string, string>): Record<string, string> => ({ ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_MIB}` });

async function upload(orthanc: OrthancHandle, files: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as string;
      const response = await fetch(`${orthanc.url}/instances`, { method: 'POST', headers: { ...orthanc.headers, 'Content-Type': 'application/dicom' }, body: await readFile(file) });
      const text = await response.text();
      if (!response.ok) throw new Error(`Orthanc refused ${file}: HTTP ${response.status} ${text}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe(`a ${INSTANCES}-instance study under a ${HEAP_MIB} MiB heap`, () => {
  let work: string;
  let orthanc: OrthancHandle;
  let study: GeneratedStudy;
  const figures: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    work = await mkdtemp(join(tmpdir(), 'dicom2fhir-large-study-'));
    const copies = await generateCopies(CT_SMALL, join(work, 'copies'), { studies: 1, seriesPerStudy: SERIES, instancesPerSeries: PER_SERIES, seed: 'large-study' });
    study = copies.studies[0]!;
    const files = (await readdir(study.directory, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith('.dcm'))
      .map((e) => join(e.parentPath, e.name));
    expect(files).toHaveLength(INSTANCES);
    orthanc = await startOrthanc({ stableAgeSeconds: 1 });
    await upload(orthanc, files);
  }, 300_000);

  afterAll(async () => {
    console.log(`peak RSS: ${figures.join('; ')}`);
    await orthanc?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it(`dicom2fhir fetch converts it within ${PEAK_RSS_LIMIT_MIB} MiB, omitting instance lists above --max-instances-listed`, async () => {
    const out = join(work, 'fetched.json');
    const { result, peakRssMiB } = await withPeakRss((env) =>
      run([CLI, 'fetch', study.studyInstanceUid, '--url', orthanc.dicomWebUrl, '--max-instances-listed', String(LISTED), '--out', out], limited(env)),
    );
    figures.push(`fetch ${peakRssMiB.toFixed(0)} MiB`);
    expect(result.stderr).toContain(`${INSTANCES} instances in ${SERIES} series`);
    expect(result.stderr).toContain(`instances-not-listed: ${INSTANCES} instances, more than the ${LISTED} listed at most`);
    expect(result.code).toBe(0);
    const resource = JSON.parse(await readFile(out, 'utf8')) as ImagingStudy;
    expect(resource.numberOfInstances).toBe(INSTANCES);
    expect(resource.series?.map((s) => s.numberOfInstances)).toEqual(Array(SERIES).fill(PER_SERIES));
    expect(resource.series?.some((s) => s.instance !== undefined)).toBe(false);
    expect(peakRssMiB).toBeLessThan(PEAK_RSS_LIMIT_MIB);
  }, 180_000);

  it('the whole-answer path, in the same process limits, runs out of memory or exceeds the limit', async () => {
    const script = [
      `const { createDicomWebClient, fetchStudyMetadata } = await import(${JSON.stringify(join(DIST, 'dicomweb/index.js'))});`,
      `const { convertStudy } = await import(${JSON.stringify(join(DIST, 'convert/index.js'))});`,
      `const datasets = await fetchStudyMetadata(createDicomWebClient({ baseUrl: ${JSON.stringify(orthanc.dicomWebUrl)} }), ${JSON.stringify(study.studyInstanceUid)});`,
      `process.stdout.write(String(convertStudy(datasets, {}).numberOfInstances));`,
    ].join('\n');
    let result: ChildRun | undefined;
    // A process that runs out of heap aborts without its exit handler: no peak is reported then.
    const peak = await withPeakRss(async (env) => {
      result = await run(['--input-type=module', '-e', script], limited(env));
    }).then(
      ({ peakRssMiB }) => peakRssMiB,
      () => undefined,
    );
    figures.push(`whole answer ${peak === undefined ? 'not reported' : `${peak.toFixed(0)} MiB`} (exit ${result?.code})`);
    if (peak === undefined) {
      expect(result?.code).not.toBe(0);
      expect(result?.stderr).toMatch(/heap out of memory|Invalid string length/);
    } else {
      expect(result?.code !== 0 || peak > PEAK_RSS_LIMIT_MIB, `exit ${result?.code}, ${peak.toFixed(0)} MiB`).toBe(true);
    }
  }, 180_000);

  it(`dicom2fhir serve syncs it within ${BRIDGE_PEAK_RSS_LIMIT_MIB} MiB, stores it without instance lists above MAX_INSTANCES_LISTED, and its instance search still answers`, async () => {
    const port = await freePort();
    const dataDir = join(work, 'bridge-data');
    const base = `http://127.0.0.1:${port}`;
    const { result, peakRssMiB } = await withPeakRss(async (env) => {
      const serving = start([CLI, 'serve'], limited({
        ...env,
        ORTHANC_URL: orthanc.url,
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        SYNC_CRON: 'off',
        CHANGES_POLL_INTERVAL: '200ms',
        MAX_INSTANCES_LISTED: String(LISTED),
        LOG_LEVEL: 'warn',
      }));
      let resource: ImagingStudy | undefined;
      const deadline = Date.now() + 150_000;
      while (resource === undefined && Date.now() < deadline) {
        await sleep(250);
        const response = await fetch(`${base}/ImagingStudy/${study.studyInstanceUid}`).catch(() => undefined);
        if (response?.status === 200) resource = (await response.json()) as ImagingStudy;
        else await response?.arrayBuffer();
      }
      // The instance index is filled from the metadata, not from the (omitted) lists.
      const lastSeries = study.series[SERIES - 1]!;
      const searches: Record<string, number | undefined> = {};
      for (const query of [
        `instance=${lastSeries.sopInstanceUids[PER_SERIES - 1]}`,
        `dicom-class=urn:ietf:rfc:3986|urn:oid:${CT_IMAGE_STORAGE}`,
        'instance=1.2.3.4.5.6.7.8.9',
      ]) {
        const response = await fetch(`${base}/ImagingStudy?${query}`).catch(() => undefined);
        searches[query] = response?.status === 200 ? ((await response.json()) as Bundle).total : response?.status;
      }
      serving.child.kill('SIGTERM');
      return { resource, searches, exit: await serving.done };
    });
    figures.push(`serve ${peakRssMiB.toFixed(0)} MiB`);
    expect(result.exit.code, result.exit.stderr.slice(-2000)).toBe(0);
    expect(result.resource?.numberOfInstances).toBe(INSTANCES);
    expect(result.resource?.series?.some((s) => s.instance !== undefined)).toBe(false);
    expect(Object.values(result.searches)).toEqual([1, 1, 0]);
    expect(peakRssMiB).toBeLessThan(BRIDGE_PEAK_RSS_LIMIT_MIB);
  }, 240_000);
});
