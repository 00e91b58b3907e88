/**
 * The bridge's outbox under the identity rules (SPEC §2.7) and per-study backoff, against a real
 * FHIR engine and the real SQLite store: a refused push is parked with its reason, listed by
 * /push/status, counted in /readyz and retried by POST /push/retry once fixed; a subject change
 * waits for a person; the catch-up path follows the same rules; a failing study never delays the
 * others; rows queued by an older release are rebuilt, never sent as they are.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import nock from 'nock';
import type { Bundle, ImagingStudy, Patient } from 'fhir/r4';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate, SCHEMA_VERSION } from '../../src/bridge/store/schema.js';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import { STORE_FILE_NAME } from '../../src/bridge/store/sqlite-store.js';
import { convertStudy, type ConvertOptions } from '../../src/convert/index.js';
import type { Dataset } from '../../src/dicom/dataset.js';
import { readDicomHeader } from '../../src/dicom/part10/index.js';
import { createBridgePush, type BridgePush } from '../../src/push/bridge-push.js';
import { createHttpApp } from '../../src/server/index.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { apiDeps } from '../support/server-fixtures.js';
import { text, withElements } from '../support/datasets.js';

const SAMPLE = 'samples/ct-study';
const SYSTEM = 'https://hospital.example/mrn';
const API_TOKEN = 'push-admin-token-0123456789abcdef';
const OPTIONS: ConvertOptions = { patientIdentifierSystem: SYSTEM, accessionSystem: 'https://hospital.example/acc' };
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

let sample: Dataset[];
let dir: string;
let fhir: FhirTestServer;
let store: BridgeStore;
let push: BridgePush | undefined;
let http: Server | undefined;

beforeAll(async () => {
  sample = [];
  for (const file of readdirSync(SAMPLE).sort()) {
    const header = await readDicomHeader(join(SAMPLE, file));
    if (!header.ok) throw new Error(`${file}: ${header.detail}`);
    sample.push(header.dataset);
  }
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'push-identity-'));
  fhir = await startFhirServer();
});

afterEach(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await push?.stop();
  push = undefined;
  await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
  http = undefined;
  store?.close();
  await fhir.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A study of the sample under its own UID, for patient `patientId`. */
function studyOf(uid: string, patientId = 'SAMPLE-0001', accession = 'ACC-2024-0042'): Dataset[] {
  return sample.map((ds) => withElements(ds, { '0020000D': text('UI', uid), '00100020': text('LO', patientId), '00080050': text('SH', accession) }));
}

function storeStudy(datasets: Dataset[]): void {
  store.put(convertStudy(datasets, OPTIONS).resource as ImagingStudy);
}

function startPush(extra: { maxAttempts?: number; baseMs?: number } = {}): BridgePush {
  push = createBridgePush({
    settings: { url: fhir.baseUrl, timeoutMs: 5000 },
    store,
    logger: silent,
    convert: convertStudy,
    convertOptions: OPTIONS,
    backoff: { baseMs: extra.baseMs ?? 20, maxMs: 200 },
    ...(extra.maxAttempts === undefined ? {} : { maxAttempts: extra.maxAttempts }),
  });
  push.start();
  return push;
}

async function startApi(bridgePush: BridgePush): Promise<string> {
  const app = createHttpApp(apiDeps(store, { apiToken: API_TOKEN, push: bridgePush }));
  http = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Transactions the FHIR server received for a study (its ImagingStudy entry), in order. */
function transactionsFor(uid: string): number {
  return fhir.requests.filter(
    (r) => r.method === 'POST' && (r.body as Bundle | undefined)?.entry?.some((e) => e.request?.url === `ImagingStudy?identifier=urn:dicom:uid|urn:oid:${uid}`),
  ).length;
}

async function createPatient(patient: Patient): Promise<Patient> {
  return (await fhir.repository.createResource(patient as never)) as unknown as Patient;
}

describe('outbox identity rules (SPEC §2.7)', () => {
  it('parks a refused push with its reason, lists it, counts it in /readyz, and delivers it once after POST /push/retry', async () => {
    store = openStudyStore(dir);
    const hospital = await createPatient({ resourceType: 'Patient', identifier: [{ system: SYSTEM, value: 'SAMPLE-0001' }], birthDate: '1901', telecom: [{ system: 'email', value: 'kept@example.org' }] });
    const uid = '1.2.826.0.1.3680043.10.7.1';
    storeStudy(studyOf(uid));
    const bridgePush = startPush();
    const api = await startApi(bridgePush);
    await bridgePush.outbox.drain();

    expect(bridgePush.status()).toMatchObject({ pending: 0, failed: 1 });
    expect(transactionsFor(uid)).toBe(0);
    expect((await fetch(`${api}/push/status`)).status).toBe(401);
    const status = (await (await fetch(`${api}/push/status`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).json()) as {
      parked: Array<{ studyInstanceUid: string; reason: string; message: string }>;
    };
    expect(status.parked).toEqual([expect.objectContaining({ studyInstanceUid: uid, reason: 'patient-demographics-conflict' })]);
    expect(status.parked[0]?.message).toContain('birth date');
    expect(JSON.stringify(status)).not.toContain('1901');

    const ready = await fetch(`${api}/readyz`);
    const readyBody = JSON.stringify(await ready.json());
    expect(ready.status).toBe(200);
    expect(readyBody).toContain('degraded');
    expect(readyBody).toContain('push-parked');
    expect(readyBody).not.toContain('birth date');

    // The conflict is fixed on the server, then a person asks for the retry.
    await fhir.repository.updateResource({ ...hospital, birthDate: '1970-01-01' } as never);
    const [fixed] = await fhir.search<Patient>('Patient');
    expect((await fetch(`${api}/push/retry`, { method: 'POST' })).status).toBe(401);
    const retried = await fetch(`${api}/push/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ studyInstanceUid: uid }),
    });
    expect(await retried.json()).toEqual({ retried: 1 });
    await bridgePush.outbox.drain();
    expect(transactionsFor(uid)).toBe(1);
    expect(bridgePush.status()).toMatchObject({ pending: 0, failed: 0, parked: [] });
    const [study] = await fhir.search<ImagingStudy>('ImagingStudy');
    expect(study?.subject.reference).toBe(`Patient/${hospital.id}`);
    expect(await fhir.search<Patient>('Patient')).toEqual([fixed]);
  });

  it('refuses a study the server links to another patient, then applies it when POST /push/retry confirms the change', async () => {
    store = openStudyStore(dir);
    const uid = '1.2.826.0.1.3680043.10.7.2';
    storeStudy(studyOf(uid, 'PID-A', 'ACC-A'));
    const bridgePush = startPush();
    const api = await startApi(bridgePush);
    await bridgePush.outbox.drain();
    const [patientA] = await fhir.search<Patient>('Patient');

    storeStudy(studyOf(uid, 'PID-B', 'ACC-B'));
    bridgePush.outbox.catchUp(store);
    await bridgePush.outbox.drain();
    expect(bridgePush.status().parked).toEqual([expect.objectContaining({ studyInstanceUid: uid, reason: 'study-of-other-patient' })]);
    expect((await fhir.search<ImagingStudy>('ImagingStudy'))[0]?.subject.reference).toBe(`Patient/${patientA?.id}`);

    const headers = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' };
    const bad = await fetch(`${api}/push/retry`, { method: 'POST', headers, body: JSON.stringify({ allowSubjectChange: true }) });
    expect(bad.status).toBe(400);
    const ok = await fetch(`${api}/push/retry`, { method: 'POST', headers, body: JSON.stringify({ studyInstanceUid: uid, allowSubjectChange: true }) });
    expect(await ok.json()).toEqual({ retried: 1 });
    await bridgePush.outbox.drain();
    const [patientB] = await fhir.search<Patient>('Patient', { identifier: `${SYSTEM}|PID-B` });
    const studies = await fhir.search<ImagingStudy>('ImagingStudy');
    expect(studies.map((s) => s.subject.reference)).toEqual([`Patient/${patientB?.id}`]);
  });

  it('catches up stored studies under the same rules: no Patient without a system, none updated, none duplicated', async () => {
    store = openStudyStore(dir);
    const other = await createPatient({ resourceType: 'Patient', identifier: [{ value: 'NOSYS-1' }], name: [{ family: 'Other' }] });
    store.put(convertStudy(studyOf('1.2.826.0.1.3680043.10.7.3', 'NOSYS-1'), {}).resource as ImagingStudy);
    storeStudy(studyOf('1.2.826.0.1.3680043.10.7.4'));
    storeStudy(studyOf('1.2.826.0.1.3680043.10.7.5'));
    const bridgePush = startPush();
    await bridgePush.outbox.drain();
    const studies = await fhir.search<ImagingStudy>('ImagingStudy');
    const patients = await fhir.search<Patient>('Patient');
    expect(studies).toHaveLength(3);
    expect(patients).toHaveLength(2);
    expect(patients).toContainEqual(other);
    const bare = studies.find((s) => s.identifier?.[0]?.value?.endsWith('.3'));
    expect(bare?.subject.reference).toBe('#patient.contained.inline');
    expect(await fhir.search('Practitioner')).toHaveLength(0);
    const before = fhir.requests.length;
    await bridgePush.stop();
    startPush();
    await push?.outbox.drain();
    expect(fhir.requests.length).toBe(before);
  });
});

describe('outbox per-study backoff', () => {
  it('never holds the other studies behind one the server keeps failing, and parks that one after N attempts', async () => {
    store = openStudyStore(dir);
    const poison = '1.2.826.0.1.3680043.10.7.10';
    const good = ['1.2.826.0.1.3680043.10.7.11', '1.2.826.0.1.3680043.10.7.12'];
    // A fault the real engine does not produce on demand: 500 for every transaction of one study.
    const url = new URL(fhir.baseUrl);
    nock(url.origin, { allowUnmocked: true })
      .post(url.pathname, (body: Bundle) => JSON.stringify(body).includes(poison))
      .reply(500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'boom' }] })
      .persist();
    nock.enableNetConnect('127.0.0.1');
    storeStudy(studyOf(poison, 'PID-P', 'ACC-P'));
    for (const uid of good) storeStudy(studyOf(uid, 'PID-G', `ACC-${uid}`));
    const bridgePush = startPush({ maxAttempts: 3, baseMs: 300 });
    await until('the good studies', () => good.every((uid) => transactionsFor(uid) === 1));
    // The poison study failed once and waits for its own backoff; the others went through meanwhile.
    expect(bridgePush.status().parked).toEqual([]);
    await bridgePush.outbox.drain();
    expect(bridgePush.status().parked).toEqual([expect.objectContaining({ studyInstanceUid: poison, reason: 'failing', attempts: 3 })]);
    expect((await fhir.search<ImagingStudy>('ImagingStudy')).map((s) => s.identifier?.[0]?.value).sort()).toEqual(good.map((u) => `urn:oid:${u}`));
  });
});

describe('store upgrade', () => {
  it('rebuilds outbox rows queued in a version-1 store under the identity rules instead of sending them as they are', async () => {
    mkdirSync(dir, { recursive: true });
    const uid = '1.2.826.0.1.3680043.10.7.20';
    const legacy = new Database(join(dir, STORE_FILE_NAME));
    migrate(legacy, 1);
    // The outbox tables as the release before the migration created them at run time, with a row
    // holding a Bundle built under the old rules (the Patient overwritten by a conditional update).
    legacy.exec(`
      CREATE TABLE push_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, study_instance_uid TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('upsert', 'delete')), version_id INTEGER, bundle TEXT, enqueued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, last_attempt_at TEXT, failed INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX push_outbox_study ON push_outbox (study_instance_uid);
      CREATE TABLE push_queued (study_instance_uid TEXT PRIMARY KEY, version_id INTEGER, deleted INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE push_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    const oldBundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001',
          resource: { resourceType: 'Patient', identifier: [{ value: 'SAMPLE-0001' }], name: [{ family: 'OLD-RULES' }] } as Patient,
          request: { method: 'PUT', url: 'Patient?identifier=SAMPLE-0001' },
        },
      ],
    };
    legacy.prepare("INSERT INTO push_outbox (study_instance_uid, kind, version_id, bundle, enqueued_at, attempts, failed) VALUES (?, 'upsert', 1, ?, '2026-01-01T00:00:00Z', 3, 1)").run(uid, JSON.stringify(oldBundle));
    legacy.prepare('INSERT INTO push_queued (study_instance_uid, version_id, deleted) VALUES (?, 1, 0)').run(uid);
    legacy.close();

    store = openStudyStore(dir);
    expect(store.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    storeStudy(studyOf(uid));
    const bridgePush = startPush();
    await bridgePush.outbox.drain();
    const posted = fhir.requests.filter((r) => r.method === 'POST').map((r) => r.body as Bundle);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted)).not.toContain('OLD-RULES');
    expect(posted[0]?.entry?.find((e) => e.resource?.resourceType === 'Patient')?.request).toEqual({
      method: 'POST',
      url: 'Patient',
      ifNoneExist: `identifier=${SYSTEM}|SAMPLE-0001`,
    });
    expect(bridgePush.status()).toMatchObject({ pending: 0, failed: 0 });
    expect(await fhir.search('ImagingStudy')).toHaveLength(1);
  });
});
