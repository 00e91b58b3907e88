/**
 * An Orthanc that comes back empty (its volume missing) is never taken for a mass deletion: the
 * bridge starts, deletes nothing, publishes no deletion, keeps serving its studies and says in
 * `/readyz` (503) that deletions wait for a person; `POST /admin/confirm-deletions` (API token)
 * then applies them — each study confirmed absent on its own — and publishes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../src/bridge/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/index.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';
import { filesUnder } from '../support/files.js';
import { waitFor } from '../support/wait.js';
import { startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const TEMPLATE = resolve('samples/ct-study/IM1.dcm');
const TOKEN = 'faults-api-token-0123456789abcdef';

let dir: string;
let orthanc: OrthancHandle;
let fhir: FhirTestServer;
let bridge: Bridge | undefined;
let copies: CopiesManifest;
let config: Config;
const logger = createLogger({ level: 'silent' });



const deletesSent = (): number => fhir.requests.filter((r) => r.method === 'DELETE').length;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faults-empty-orthanc-'));
  copies = await generateCopies(TEMPLATE, join(dir, 'copies'), { studies: 3, seriesPerStudy: 1, instancesPerSeries: 1, seed: 'empty-orthanc' });
  [orthanc, fhir] = await Promise.all([startOrthanc({ stableAgeSeconds: 1 }), startFhirServer()]);
  const loaded = loadConfig({
    ORTHANC_URL: orthanc.url,
    DATA_DIR: join(dir, 'data'),
    PORT: '0',
    API_TOKEN: TOKEN,
    SYNC_CRON: 'off',
    CHANGES_POLL_INTERVAL: '200ms',
    FHIR_SERVER_URL: fhir.baseUrl,
    LOG_LEVEL: 'silent',
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  config = loaded.config;
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  await Promise.all([orthanc?.stop(), fhir?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('an empty Orthanc at start', () => {
  it('deletes and publishes nothing, reports 503 awaiting a person, and applies the deletions once confirmed', async () => {
    for (const study of copies.studies) await orthanc.upload(filesUnder(study.directory));
    const uids = copies.studies.map((s) => s.studyInstanceUid);
    bridge = await startBridge(config, { logger });
    await waitFor('every study published', async () => ((await fhir.search('ImagingStudy')).length === uids.length ? true : undefined));
    await bridge.stop();

    // Orthanc's storage volume goes missing: it starts again on the same port, empty.
    await orthanc.stop();
    rmSync(orthanc.storageDir, { recursive: true, force: true });
    await orthanc.restart();
    expect(await (await fetch(`${orthanc.url}/studies`)).json()).toEqual([]);

    bridge = await startBridge(config, { logger });
    const api = (path: string, init: RequestInit = {}) => fetch(`${bridge?.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init.headers } });
    expect(await bridge.startupCheck).toMatchObject({ listed: 0, deleted: 0, held: uids.length, complete: true });
    const statuses = await Promise.all(uids.map(async (uid) => (await api(`/ImagingStudy/${uid}`)).status));
    expect(statuses).toEqual(uids.map(() => 200));
    const ready = await api('/readyz');
    const body = (await ready.json()) as { status: string; reasons: Array<{ code: string; impact: string; message: string }> };
    expect([ready.status, body.status]).toEqual([503, 'not-ready']);
    expect(body.reasons).toContainEqual({ code: 'deletions-held', impact: 'unavailable', message: expect.stringContaining(`misses ${uids.length} of ${uids.length} stored studies`) });
    await new Promise((r) => setTimeout(r, 500));
    expect([deletesSent(), (await fhir.search('ImagingStudy')).length]).toEqual([0, uids.length]);

    expect((await fetch(`${bridge.url}/admin/confirm-deletions`, { method: 'POST' })).status).toBe(401);
    const confirmed = await api('/admin/confirm-deletions', { method: 'POST' });
    expect([confirmed.status, await confirmed.json()]).toEqual([200, { deleted: uids.length, kept: 0 }]);
    const after = await Promise.all(uids.map(async (uid) => (await api(`/ImagingStudy/${uid}`)).status));
    expect(after).toEqual(uids.map(() => 410));
    const readyAfter = (await (await api('/readyz')).json()) as { reasons: Array<{ code: string }> };
    expect(readyAfter.reasons.map((r) => r.code)).not.toContain('deletions-held');
    await waitFor('the deletions published', async () => ((await fhir.search('ImagingStudy')).length === 0 ? true : undefined));
    expect((await api('/admin/confirm-deletions', { method: 'POST' })).status).toBe(409);
  }, 120_000);
});
