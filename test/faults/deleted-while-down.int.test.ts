/**
 * A study deleted in Orthanc while the bridge is down is 410 within seconds of the bridge's
 * restart (SPEC §4, Start-up). Orthanc 1.10 logs no `Deleted` change and its Lua deletion webhook
 * had no one to call, so only the start-up comparison of the store with Orthanc's study list can
 * notice; the scheduled reconciliation is off here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../src/bridge/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/index.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';
import { filesUnder } from '../support/files.js';
import { waitFor } from '../support/wait.js';
import { startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const TEMPLATE = resolve('samples/ct-study/IM1.dcm');

let dir: string;
let orthanc: OrthancHandle;
let bridge: Bridge | undefined;
let copies: CopiesManifest;
let config: Config;
const logger = createLogger({ level: 'silent' });



beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faults-deleted-while-down-'));
  copies = await generateCopies(TEMPLATE, join(dir, 'copies'), { studies: 4, seriesPerStudy: 1, instancesPerSeries: 1, seed: 'deleted-while-down' });
  orthanc = await startOrthanc({ stableAgeSeconds: 1 });
  const loaded = loadConfig({ ORTHANC_URL: orthanc.url, DATA_DIR: join(dir, 'data'), PORT: '0', SYNC_CRON: 'off', CHANGES_POLL_INTERVAL: '200ms', LOG_LEVEL: 'silent' });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  config = loaded.config;
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  await orthanc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('deletions while the bridge is down', () => {
  it('answers 410 within seconds of the restart for a study deleted meanwhile, and keeps the others', async () => {
    const orthancIds: string[] = [];
    for (const study of copies.studies) orthancIds.push(...(await orthanc.upload(filesUnder(study.directory))));
    bridge = await startBridge(config, { logger });
    const uids = copies.studies.map((s) => s.studyInstanceUid);
    await waitFor('every study synced by the change feed', () => (uids.every((uid) => bridge?.store.get(uid) !== undefined) ? true : undefined));
    await bridge.stop();
    bridge = undefined;

    const [deletedUid] = uids;
    const response = await fetch(`${orthanc.url}/studies/${orthancIds[0]}`, { method: 'DELETE', headers: orthanc.headers });
    expect(response.status).toBe(200);

    const startedAt = Date.now();
    bridge = await startBridge(config, { logger });
    const url = bridge.url;
    await waitFor('410 for the study deleted while the bridge was down', async () => ((await fetch(`${url}/ImagingStudy/${deletedUid}`)).status === 410 ? true : undefined));
    const ms = Date.now() - startedAt;
    console.info(`[faults] deleted while down: 410 ${ms} ms after the restart began`);
    expect(ms).toBeLessThan(15_000);
    expect(await bridge.startupCheck).toMatchObject({ listed: 3, deleted: 1, held: 0, complete: true });
    const others = await Promise.all(uids.slice(1).map(async (uid) => (await fetch(`${url}/ImagingStudy/${uid}`)).status));
    expect(others).toEqual([200, 200, 200]);
  }, 90_000);
});
