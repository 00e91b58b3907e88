/**
 * Another process holds the store's write lock (`BEGIN EXCLUSIVE` in Python's sqlite3) for a few
 * seconds while the bridge is asked to write (webhooks) and to read: the event loop never waits
 * on the lock for more than a few milliseconds, so `/healthz` keeps answering at once; writes
 * answer 503 `store-locked` and work again once the lock is released. Prints the latencies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperationOutcome } from 'fhir/r4';
import { openStudyStore } from '../../src/bridge/store/index.js';
import { imagingStudy } from '../support/studies.js';
import { request, startBridgeProcess, type BridgeProcess } from '../support/bridge-process.js';
import { waitFor } from '../support/wait.js';
import { freePort } from '../support/orthanc.js';

const UID = '1.2.826.0.1.3680043.8.498.4242';
const SECRET = 'lock-test-webhook-secret-0123';
const ORTHANC_ID = '6b9e19d9-62094390-5f9ddb01-4a191ae7-9766b715';
/** Generous: without the fix every write froze the event loop for 5 s. */
const HEALTHZ_BOUND_MS = 1000;

let work: string | undefined;
let bridge: BridgeProcess | undefined;
let locker: ChildProcess | undefined;

afterAll(async () => {
  locker?.kill('SIGKILL');
  await bridge?.stop();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** Holds `BEGIN EXCLUSIVE` on the file for `seconds`, resolving once the lock is taken. */
function holdLock(path: string, seconds: number): Promise<ChildProcess> {
  const script = [
    'import sqlite3, sys, time',
    'c = sqlite3.connect(sys.argv[1], isolation_level=None)',
    "c.execute('BEGIN EXCLUSIVE')",
    "c.execute(\"INSERT OR REPLACE INTO cursors (name, value) VALUES ('other-process', 1)\")",
    "print('locked', flush=True)",
    'time.sleep(float(sys.argv[2]))',
    "c.execute('COMMIT')",
  ].join('\n');
  const child = spawn('python3', ['-c', script, path, String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the locking process exited with ${code}`)));
  });
}

async function timed(url: string, init?: Parameters<typeof request>[1]): Promise<{ ms: number; status: number; body: unknown }> {
  const started = performance.now();
  const response = await request(url, init);
  return { ms: performance.now() - started, status: response.status, body: response.json<unknown>() };
}

function stableStudyWebhook(): Parameters<typeof request>[1] {
  return {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ID: ORTHANC_ID, StudyInstanceUID: UID }),
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

describe('a store locked by another process', () => {
  it('keeps /healthz answering within milliseconds, answers writes 503 store-locked, and writes again once the lock is gone', async () => {
    work = mkdtempSync(join(tmpdir(), 'd2f-lock-'));
    const seeded = openStudyStore(join(work, 'data'));
    seeded.put(imagingStudy({ uid: UID }));
    const path = seeded.path;
    seeded.close();
    bridge = await startBridgeProcess(
      {
        // Nothing listens there: the image source is down, which /readyz reports on its own.
        ORTHANC_URL: `http://127.0.0.1:${await freePort()}`,
        DATA_DIR: join(work, 'data'),
        WEBHOOK_SECRET: SECRET,
        SYNC_CRON: 'off',
        CHANGES_POLL_INTERVAL: '0',
        LOG_LEVEL: 'warn',
      },
      await freePort(),
    );
    const url = bridge.url;

    locker = await holdLock(path, 5);
    const healthz: number[] = [];
    const writes: Array<{ ms: number; status: number; body: unknown }> = [];
    const reads: number[] = [];
    const until = performance.now() + 3500;
    while (performance.now() < until) {
      const [health, write, read] = await Promise.all([
        timed(`${url}/healthz`),
        timed(`${url}/orthanc/stable-study`, stableStudyWebhook()),
        timed(`${url}/ImagingStudy/${UID}`),
      ]);
      healthz.push(health.ms);
      writes.push(write);
      reads.push(read.status);
      await new Promise((r) => setTimeout(r, 50));
    }
    const ready = await timed(`${url}/readyz`);
    console.log(
      `store locked by another process: /healthz median ${percentile(healthz, 50).toFixed(1)} ms, p99 ${percentile(healthz, 99).toFixed(1)} ms, ` +
        `max ${Math.max(...healthz).toFixed(1)} ms over ${healthz.length} probes; webhook max ${Math.max(...writes.map((w) => w.ms)).toFixed(1)} ms`,
    );
    expect(Math.max(...healthz)).toBeLessThan(HEALTHZ_BOUND_MS);
    expect(writes.every((write) => write.status === 503)).toBe(true);
    expect((writes[0]?.body as OperationOutcome).issue[0]?.details?.text).toBe('The store is unavailable (store-locked)');
    // Reads go on: WAL readers do not wait for a writer.
    expect(reads.every((status) => status === 200)).toBe(true);
    expect(ready.status).toBe(503);
    expect((ready.body as { reasons: Array<{ code: string }> }).reasons.map((r) => r.code)).toContain('store-locked');

    await new Promise<void>((resolve) => locker?.once('exit', () => resolve()));
    const after = await waitFor('the webhook to be accepted again', async () => {
      const write = await timed(`${url}/orthanc/stable-study`, stableStudyWebhook());
      return write.status === 202 ? write : undefined;
    }, 10_000, () => bridge?.log() ?? '');
    expect(after.status).toBe(202);
    const recovered = await timed(`${url}/readyz`);
    expect((recovered.body as { reasons: Array<{ code: string }> }).reasons.map((r) => r.code)).not.toContain('store-locked');
    expect(bridge.exited()).toBeUndefined();
  });
});
