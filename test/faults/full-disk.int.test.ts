/**
 * A full disk under DATA_DIR (a small tmpfs mounted for the test; needs root, as in CI): the
 * bridge keeps running, says `store-full` in /readyz (503), and once space is freed resumes by
 * itself and stores every study that arrived meanwhile. Prints the recovery times.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from 'fhir/r4';
import { request, startBridgeProcess, type BridgeProcess } from '../support/bridge-process.js';
import { waitFor } from '../support/wait.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';
import { freePort, startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const CT_SMALL = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const PATIENT_NAME = 'CompressedSamples';
const isRoot = process.getuid?.() === 0;

let work: string;
let mountPoint: string;
let mounted = false;
let orthanc: OrthancHandle | undefined;
let bridge: BridgeProcess | undefined;
let copies: CopiesManifest;

function filesOf(study: CopiesManifest['studies'][number]): string[] {
  return study.series.flatMap((series) => series.sopInstanceUids.map((_, i) => join(study.directory, 'series-0001', `${String(i + 1).padStart(6, '0')}.dcm`)));
}

/** Writes zeros until the file system refuses (ENOSPC); returns the filler's path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // The last partial block too.
  const tail = openSync(path, 'a');
  try {
    for (;;) writeSync(tail, Buffer.alloc(512));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(tail);
  }
  return path;
}

async function readyz(): Promise<{ status: number; body: { status: string; reasons: Array<{ code: string }> } }> {
  const response = await request(`${bridge?.url}/readyz`);
  return { status: response.status, body: response.json<{ status: string; reasons: Array<{ code: string }> }>() };
}

async function searchTotal(uid: string): Promise<number> {
  const response = await request(`${bridge?.url}/ImagingStudy?identifier=${uid}`);
  return response.status === 200 ? (response.json<Bundle>().total ?? -1) : -1;
}

beforeAll(async () => {
  if (!isRoot) return;
  work = mkdtempSync(join(tmpdir(), 'd2f-full-disk-'));
  copies = await generateCopies(CT_SMALL, join(work, 'copies'), { studies: 6, seriesPerStudy: 1, instancesPerSeries: 3, seed: 'full-disk' });
  mountPoint = join(work, 'mnt');
  mkdirSync(mountPoint);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
  mounted = true;
  orthanc = await startOrthanc({ stableAgeSeconds: 1 });
});

afterAll(async () => {
  await bridge?.stop();
  await orthanc?.stop();
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('a full disk under the store', () => {
  it('keeps the bridge running with /readyz 503 store-full, and stores every study by itself once space is freed', async () => {
    const handle = orthanc as OrthancHandle;
    const port = await freePort();
    bridge = await startBridgeProcess(
      { ORTHANC_URL: handle.url, DATA_DIR: join(mountPoint, 'data'), SYNC_CRON: 'off', CHANGES_POLL_INTERVAL: '300ms', LOG_LEVEL: 'info' },
      port,
    );
    const context = (): string => bridge?.log().slice(-4000) ?? '';
    const [first, ...later] = copies.studies;
    await handle.upload(filesOf(first!));
    await waitFor('the first study stored', async () => ((await searchTotal(first!.studyInstanceUid)) === 1 ? true : undefined), 30_000, context);

    const filler = fillDisk(mountPoint);
    for (const study of later) await handle.upload(filesOf(study));
    const full = await waitFor('/readyz to say store-full', async () => {
      const ready = await readyz();
      return ready.body.reasons.some((reason) => reason.code === 'store-full') ? ready : undefined;
    }, 30_000, context);
    expect(full.status).toBe(503);
    expect(full.body.status).toBe('not-ready');
    // Still alive and answering: liveness, and reads of what is stored.
    await new Promise((r) => setTimeout(r, 2000));
    expect(bridge.exited()).toBeUndefined();
    expect((await request(`${bridge.url}/healthz`)).status).toBe(200);
    expect(await searchTotal(first!.studyInstanceUid)).toBe(1);

    rmSync(filler);
    const freedAt = performance.now();
    await waitFor('/readyz to recover', async () => ((await readyz()).status === 200 ? true : undefined), 60_000, context);
    const readyAfterMs = performance.now() - freedAt;
    for (const study of later) {
      await waitFor(`study ${study.studyInstanceUid} stored`, async () => ((await searchTotal(study.studyInstanceUid)) === 1 ? true : undefined), 60_000, context);
    }
    const allStoredAfterMs = performance.now() - freedAt;
    console.log(`full disk: /readyz 200 ${Math.round(readyAfterMs)} ms and all ${later.length} studies stored ${Math.round(allStoredAfterMs)} ms after space was freed`);

    expect(bridge.exited()).toBeUndefined();
    expect(bridge.log()).toContain('SQLITE_FULL');
    expect(bridge.log()).not.toContain(PATIENT_NAME);
    expect(await bridge.stop()).toBe(0);
  });
});
