/**
 * The bridge end to end against a real Orthanc (DICOMweb plugin + the repository's Lua script):
 * webhook and change-feed triggers, the read API, deletions, crash recovery of a `serve` child
 * process, and an Orthanc outage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, ImagingStudy, OperationOutcome } from 'fhir/r4';
import { startBridge, type Bridge } from '../../src/bridge/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { convertFolder } from '../../src/folder/index.js';
import { createLogger } from '../../src/logging/index.js';
import { freePort, startOrthanc, type OrthancHandle } from '../support/orthanc.js';
import { validateR4 } from '../support/fhir-validation.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const SECRET = 'e2e-webhook-secret-0123456789';
const TOKEN = 'e2e-api-token-0123456789abcdef';
const SAMPLE_UID = '2.25.220659974204822469186898064973270962049';
const CT_UID = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const MR_UID = '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457';
const RTPLAN_UID = '1.22.333.4.555555.6.7777777777777777777777777777';
const J2K_UID = '1.3.6.1.4.1.5962.1.2.8.20040826185059.5457';
const auth = { authorization: `Bearer ${TOKEN}` };

let orthanc: OrthancHandle;
let bridge: Bridge | undefined;
let child: ChildProcess | undefined;
let childLog = '';
let port: number;
let dataDir: string;
let work: string;
const orthancIds = new Map<string, string>();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- Orthanc log tail ---\n${orthanc.log().slice(-3000)}\n--- bridge child ---\n${childLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function env(): Record<string, string> {
  return {
    ORTHANC_URL: orthanc.url,
    PORT: String(port),
    DATA_DIR: dataDir,
    WEBHOOK_SECRET: SECRET,
    API_TOKEN: TOKEN,
    SYNC_CRON: 'off',
    CHANGES_POLL_INTERVAL: '500ms',
    LOG_LEVEL: 'warn',
  };
}

function config(overrides: Record<string, string> = {}): Config {
  const loaded = loadConfig({ ...env(), ...overrides });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.config;
}

const url = (path: string): string => `http://127.0.0.1:${port}${path}`;

async function get(path: string, headers: Record<string, string> = auth): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url(path), { headers });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown), headers: response.headers };
}

/** Searching never converts on demand, so it shows what the triggers stored. */
async function searchTotal(uid: string): Promise<number> {
  const { body } = await get(`/ImagingStudy?identifier=${uid}`);
  return (body as Bundle).total ?? -1;
}

async function upload(name: string, files: string[]): Promise<void> {
  const [id] = await orthanc.upload(files);
  if (id === undefined) throw new Error(`upload of ${name} gave no study`);
  orthancIds.set(name, id);
}

/** Removes what differs by design between the bridge and the folder converter. */
function comparable(resource: unknown): unknown {
  const copy = structuredClone(resource) as Record<string, unknown>;
  delete copy.meta;
  delete copy.endpoint;
  if (Array.isArray(copy.contained)) {
    const kept = (copy.contained as Array<{ resourceType: string }>).filter((r) => r.resourceType !== 'Endpoint');
    if (kept.length > 0) copy.contained = kept;
    else delete copy.contained;
  }
  return copy;
}

async function startChild(): Promise<void> {
  childLog = '';
  child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env(), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (childLog += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (childLog += d.toString()));
  await waitFor('the serve child to answer /healthz', async () => {
    const ok = await fetch(url('/healthz')).then((r) => r.ok, () => false);
    return ok ? true : undefined;
  });
}

async function killChild(signal: NodeJS.Signals): Promise<number | null> {
  const proc = child;
  if (proc === undefined || proc.exitCode !== null) return proc?.exitCode ?? null;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill(signal);
  child = undefined;
  return exited;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dicom2fhir-bridge-e2e-'));
  dataDir = join(work, 'data');
  port = await freePort();
  orthanc = await startOrthanc({
    luaScripts: [join(ROOT, 'orthanc/dicom2fhir.lua')],
    env: { DICOM2FHIR_URL: `http://127.0.0.1:${port}`, DICOM2FHIR_WEBHOOK_SECRET: SECRET },
    stableAgeSeconds: 1,
  });
  // The change feed polls once at start and then only every 10 minutes: what arrives next came by webhook.
  bridge = await startBridge(config({ CHANGES_POLL_INTERVAL: '10m' }), { logger: createLogger({ level: 'warn' }) });
});

afterAll(async () => {
  await killChild('SIGKILL');
  await bridge?.stop();
  await orthanc?.stop();
});

describe('bridge against a real Orthanc', () => {
  it('syncs an uploaded study by webhook and serves it by id and by identifier', async () => {
    const dir = join(work, 'sample');
    cpSync(join(ROOT, 'samples/ct-study'), dir, { recursive: true });
    const files = ['IM1.dcm', 'IM2.dcm', 'IM3.dcm', 'IM4.dcm', 'IM5.dcm', 'IM6.dcm'].map((f) => join(dir, f));
    await upload('sample', files);
    await waitFor('the webhook sync', () => bridge?.store.get(SAMPLE_UID));

    const read = await get(`/ImagingStudy/${SAMPLE_UID}`);
    const study = read.body as ImagingStudy;
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('W/"1"');
    expect([study.numberOfSeries, study.numberOfInstances, study.meta?.versionId]).toEqual([2, 6, '1']);
    expect(validateR4(study)).toEqual([]);
    expect(JSON.stringify(study)).toContain(`${orthanc.url}/dicom-web`);

    const folder = await convertFolder(dir, { fhirVersion: 'R4', format: 'imagingstudy' });
    expect(comparable(study)).toEqual(comparable(folder.outputs[0]?.resource));

    for (const identifier of [`urn:dicom:uid|urn:oid:${SAMPLE_UID}`, SAMPLE_UID, 'ACC-2024-0042']) {
      const { status, body } = await get(`/ImagingStudy?identifier=${encodeURIComponent(identifier)}`);
      const bundle = body as Bundle;
      expect([status, bundle.total, bundle.entry?.[0]?.fullUrl]).toEqual([200, 1, url(`/ImagingStudy/${SAMPLE_UID}`)]);
      expect(comparable(bundle.entry?.[0]?.resource)).toEqual(comparable(study));
    }
  });

  it('converts on demand a study Orthanc has but the store does not', async () => {
    await upload('ct', [join(TEST_FILES, 'CT_small.dcm')]);
    const { status, body } = await get(`/ImagingStudy/${CT_UID}`);
    expect(status).toBe(200);
    expect((body as ImagingStudy).identifier?.[0]).toEqual({ system: 'urn:dicom:uid', value: `urn:oid:${CT_UID}` });
    expect((body as ImagingStudy).series?.[0]?.modality.code).toBe('CT');
  });

  it('answers 404 for a UID the source does not have and 400 for a malformed id', async () => {
    const missing = await get('/ImagingStudy/1.2.3.999999');
    expect([missing.status, (missing.body as OperationOutcome).issue[0]?.code]).toEqual([404, 'not-found']);
    const malformed = await get('/ImagingStudy/1.2.3_$');
    expect([malformed.status, (malformed.body as OperationOutcome).issue[0]?.expression]).toEqual([400, ['id']]);
  });

  it('refuses reads without the API token and webhooks with a wrong secret', async () => {
    const read = await get(`/ImagingStudy/${SAMPLE_UID}`, {});
    expect([read.status, read.headers.get('www-authenticate'), (read.body as OperationOutcome).issue[0]?.code]).toEqual([401, 'Bearer realm="dicom2fhir"', 'login']);
    const hook = await fetch(url('/orthanc/stable-study'), {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-secret', 'content-type': 'application/json' },
      body: JSON.stringify({ ID: orthancIds.get('sample'), StudyInstanceUID: MR_UID }),
    });
    expect(hook.status).toBe(401);
    expect(((await hook.json()) as OperationOutcome).issue[0]?.code).toBe('login');
    await new Promise((r) => setTimeout(r, 500));
    expect(bridge?.store.get(MR_UID)).toBeUndefined();
  });

  it('answers 410 once the study is deleted in Orthanc', async () => {
    const id = orthancIds.get('ct') ?? '';
    // The Orthanc id is learnt from the stable-study webhook; Orthanc's deletion notice carries only that id.
    // The earlier on-demand read stored nothing (the study was still arriving): wait for the sync the webhook queued.
    await waitFor('the stable-study webhook of the CT study', () => bridge?.store.studyUidForOrthancId(id));
    await waitFor('the CT study stored by its stable-study sync', () => bridge?.store.get(CT_UID));
    const deleted = await fetch(`${orthanc.url}/studies/${id}`, { method: 'DELETE', headers: orthanc.headers });
    expect(deleted.status).toBe(200);
    const gone = await waitFor('the deletion webhook', async () => {
      const answer = await get(`/ImagingStudy/${CT_UID}`);
      return answer.status === 410 ? answer : undefined;
    });
    expect((gone.body as OperationOutcome).issue[0]?.code).toBe('deleted');
    expect(await searchTotal(CT_UID)).toBe(0);
  });

  it('reports not ready without crashing while Orthanc is down, and syncs again when it returns', async () => {
    await orthanc.stop();
    const down = await get('/readyz', {});
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not-ready', checks: { orthanc: { ok: false }, store: { ok: true } } });
    expect((await get('/healthz', {})).status).toBe(200);
    expect((await get(`/ImagingStudy/${SAMPLE_UID}`)).status).toBe(200);
    const unreachable = await get(`/ImagingStudy/${MR_UID}`);
    expect([unreachable.status, (unreachable.body as OperationOutcome).issue[0]?.code]).toEqual([503, 'transient']);

    await orthanc.restart();
    const up = await get('/readyz', {});
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: 'ready', checks: { orthanc: { ok: true }, store: { ok: true } } });
    await upload('mr', [join(TEST_FILES, 'MR_small.dcm')]);
    await waitFor('the MR study to sync after Orthanc returned', () => bridge?.store.get(MR_UID));
  });

  it('syncs by change feed a study that became stable while the bridge was down', async () => {
    await bridge?.stop();
    bridge = undefined;
    await upload('rtplan', [join(TEST_FILES, 'rtplan.dcm')]);
    await waitFor('Orthanc to mark the study stable', async () => {
      const study = (await fetch(`${orthanc.url}/studies/${orthancIds.get('rtplan')}`, { headers: orthanc.headers }).then((r) => r.json())) as { IsStable?: boolean };
      return study.IsStable === true ? true : undefined;
    });
    await startChild();
    await waitFor('the change feed to sync the study', async () => ((await searchTotal(RTPLAN_UID)) === 1 ? true : undefined));
    const { body } = await get(`/ImagingStudy/${RTPLAN_UID}`);
    expect((body as ImagingStudy).meta?.versionId).toBe('1');
  });

  it('loses nothing when the serve process is killed with SIGKILL and restarted', async () => {
    const before = await Promise.all([SAMPLE_UID, MR_UID, RTPLAN_UID].map((uid) => get(`/ImagingStudy/${uid}`)));
    expect(before.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await killChild('SIGKILL')).toBeNull();
    await startChild();
    // Give the change feed (re-reading the whole log from the stored cursor) time to re-sync everything.
    await new Promise((r) => setTimeout(r, 2000));
    const after = await Promise.all([SAMPLE_UID, MR_UID, RTPLAN_UID].map((uid) => get(`/ImagingStudy/${uid}`)));
    expect(after.map((r) => [r.status, r.headers.get('etag')])).toEqual(before.map((r) => [200, r.headers.get('etag')]));
    expect(after.map((r) => r.body)).toEqual(before.map((r) => r.body));
    expect((await get(`/ImagingStudy/${CT_UID}`)).status).toBe(410);
  });

  it('syncs a study uploaded just before a SIGKILL once the bridge is back', async () => {
    await upload('j2k', [join(TEST_FILES, 'JPEG2000.dcm')]);
    expect(await killChild('SIGKILL')).toBeNull();
    await startChild();
    await waitFor('the study uploaded before the crash to sync', async () => ((await searchTotal(J2K_UID)) === 1 ? true : undefined));
    const { status, body } = await get(`/ImagingStudy/${J2K_UID}`);
    expect([status, (body as ImagingStudy).meta?.versionId]).toEqual([200, '1']);
  });

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    expect(await killChild('SIGTERM')).toBe(0);
    expect(childLog).toContain('bridge stopped');
    expect(childLog).not.toContain('SAMPLE-0001');
  });
});
