/**
 * The whole push path with real servers: Orthanc (DICOMweb plugin + the repository's Lua script)
 * → bridge → an external FHIR engine. An upload appears on the FHIR server; a deletion in Orthanc
 * removes it there; studies synced while the FHIR server is down arrive once it is back, across a
 * bridge restart, each exactly once.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Bundle, Endpoint, ImagingStudy, Patient } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../src/bridge/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';
import { freePort, startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const SAMPLE = resolve('samples/ct-study');
const SECRET = 'push-test-webhook-secret-0123456789';
const TOKEN = 'push-test-api-token-0123456789abcdef';
/** The DICOMweb URL clients use, unlike the loopback URL the bridge fetches from. */
const PUBLIC_DICOMWEB = 'https://pacs.example.org/dicom-web';

let dir: string;
let fhir: FhirTestServer;
let fhirRunning = false;
let orthanc: OrthancHandle;
let bridge: Bridge | undefined;
let copies: CopiesManifest;
let config: Config;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; Orthanc log tail: ${orthanc.log().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function getJson(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  if (bridge === undefined) {
    throw new Error('the bridge is not running');
  }
  const response = await fetch(`${bridge.url}${path}`, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const identifier = (uid: string): Record<string, string> => ({ identifier: `urn:dicom:uid|urn:oid:${uid}` });

/** Transactions the FHIR server received that carry this study's ImagingStudy. */
function transactionsFor(server: FhirTestServer, uid: string): number {
  return server.requests.filter((r) => {
    const body = r.body as Bundle | undefined;
    return r.method === 'POST' && body?.type === 'transaction' && body.entry?.some((e) => e.request?.url === `ImagingStudy?identifier=urn:dicom:uid|urn:oid:${uid}`);
  }).length;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'push-orthanc-'));
  copies = await generateCopies(join(SAMPLE, 'IM1.dcm'), join(dir, 'copies'), { studies: 2, seriesPerStudy: 1, instancesPerSeries: 2, seed: 'push-outage' });
  fhir = await startFhirServer();
  fhirRunning = true;
  const port = await freePort();
  orthanc = await startOrthanc({
    luaScripts: [resolve('orthanc/dicom2fhir.lua')],
    stableAgeSeconds: 1,
    env: { DICOM2FHIR_URL: `http://127.0.0.1:${port}/`, DICOM2FHIR_WEBHOOK_SECRET: SECRET },
  });
  const loaded = loadConfig({
    ORTHANC_URL: orthanc.url,
    DATA_DIR: join(dir, 'data'),
    PORT: String(port),
    WEBHOOK_SECRET: SECRET,
    API_TOKEN: TOKEN,
    SYNC_CRON: 'off',
    CHANGES_POLL_INTERVAL: '500ms',
    LOG_LEVEL: 'silent',
    FHIR_SERVER_URL: fhir.baseUrl,
    FHIR_SERVER_TIMEOUT: '2s',
    // The generated studies' Patient IDs carry no issuer: the site names their system.
    PATIENT_ID_SYSTEM: 'https://hospital.example/mrn',
    PUBLIC_DICOMWEB_URL: PUBLIC_DICOMWEB,
  });
  if (!loaded.ok) {
    throw new Error(loaded.problems.join('; '));
  }
  config = loaded.config;
  bridge = await startBridge(config);
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  await orthanc?.stop();
  if (fhirRunning) await fhir.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bridge publishing to an external FHIR server', () => {
  it('publishes an uploaded study with one Patient and its DICOMweb Endpoint, and removes it after its deletion in Orthanc', async () => {
    const files = readdirSync(SAMPLE).map((f) => join(SAMPLE, f));
    const [orthancId] = await orthanc.upload(files);

    const study = await until('the study on the FHIR server', async () => (await fhir.search<ImagingStudy>('ImagingStudy'))[0]);
    const uid = study.identifier?.[0]?.value?.replace('urn:oid:', '') ?? '';
    expect(bridge?.store.getByStudyInstanceUid(uid)?.versionId).toBe(1);
    expect(study.numberOfInstances).toBe(files.length);
    const patients = await fhir.search<Patient>('Patient');
    expect(patients).toHaveLength(1);
    expect(study.subject.reference).toBe(`Patient/${patients[0]?.id}`);
    const endpoints = await fhir.search<Endpoint>('Endpoint');
    expect(endpoints.map((e) => e.address)).toEqual([PUBLIC_DICOMWEB]);
    expect(endpoints[0]?.payloadType?.[0]?.coding?.[0]).toMatchObject({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '113014' });
    expect(study.endpoint?.[0]?.reference).toBe(`Endpoint/${endpoints[0]?.id}`);
    await until('an empty outbox', async () => ((await getJson('/readyz')).body.push as { pending: number }).pending === 0 || undefined);
    expect(transactionsFor(fhir, uid)).toBe(1);

    const deleted = await fetch(`${orthanc.url}/studies/${orthancId}`, { method: 'DELETE', headers: orthanc.headers });
    expect(deleted.status).toBe(200);
    await until('the study to be gone from the FHIR server', async () => ((await fhir.search('ImagingStudy', identifier(uid))).length === 0 ? true : undefined));
    expect(bridge?.store.getByStudyInstanceUid(uid)?.deleted).toBe(true);
  }, 90_000);

  it('delivers what was synced while the FHIR server was down, after a bridge restart, each study once', async () => {
    const { port, repository } = fhir;
    await fhir.stop();
    fhirRunning = false;
    for (const study of copies.studies) {
      const files = readdirSync(study.directory, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      await orthanc.upload(files.map((e) => join(e.parentPath, e.name)));
    }
    await until('both studies in the bridge store', () => (copies.studies.every((s) => bridge?.store.getByStudyInstanceUid(s.studyInstanceUid) !== undefined) ? true : undefined));

    const ready = await until('the failed push to show', async () => {
      const answer = await getJson('/readyz');
      const push = answer.body.push as { pending: number } | undefined;
      return push !== undefined && push.pending >= copies.studies.length ? answer : undefined;
    });
    expect(ready.status).toBe(200);
    expect(ready.body.push).not.toHaveProperty('lastError');
    expect((await getJson('/push/status')).status).toBe(401);
    const lastError = await until('the failure in /push/status', async () => {
      const status = await getJson('/push/status', { authorization: `Bearer ${TOKEN}` });
      expect(status.status).toBe(200);
      return status.body.lastError as string | undefined;
    });
    expect(lastError).toContain('could not be reached');

    await bridge?.stop();
    bridge = await startBridge(config);
    fhir = await startFhirServer({ port, repository });
    fhirRunning = true;

    for (const study of copies.studies) {
      await until(`study ${study.studyInstanceUid} on the FHIR server`, async () => (await fhir.search<ImagingStudy>('ImagingStudy', identifier(study.studyInstanceUid)))[0]);
    }
    await until('an empty outbox', async () => ((await getJson('/readyz')).body.push as { pending: number }).pending === 0 || undefined);
    for (const study of copies.studies) {
      expect(transactionsFor(fhir, study.studyInstanceUid)).toBe(1);
      expect(await fhir.search('ImagingStudy', identifier(study.studyInstanceUid))).toHaveLength(1);
    }
    expect(await fhir.search('ImagingStudy')).toHaveLength(copies.studies.length);
    expect(await fhir.search('Patient')).toHaveLength(1);
    expect(await fhir.search('Endpoint')).toHaveLength(1);
  }, 120_000);
});
