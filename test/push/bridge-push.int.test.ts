/**
 * The bridge's push path end to end without Orthanc: the real sync service and SQLite store,
 * datasets read from the sample study's files (the same DICOM JSON model WADO-RS gives), the
 * converter's Bundle form, the outbox in the store database, and a real FHIR engine.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoint, ImagingStudy } from 'fhir/r4';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import { createSyncService, type BridgeSyncService } from '../../src/bridge/sync/service.js';
import { convertStudy } from '../../src/convert/index.js';
import type { Dataset } from '../../src/dicom/dataset.js';
import { readDicomHeader } from '../../src/dicom/part10/index.js';
import { createBridgePush, type BridgePush } from '../../src/push/bridge-push.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';

const SAMPLE = 'samples/ct-study';
const DICOMWEB = 'http://pacs.example.org/dicom-web';
const PATIENT_SYSTEM = 'https://hospital.example/mrn';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

let all: Dataset[];
let studyUid: string;
let served: Dataset[];
let dir: string;
let server: FhirTestServer;
let store: BridgeStore;
let push: BridgePush;
let sync: BridgeSyncService;

beforeAll(async () => {
  all = [];
  for (const file of readdirSync(SAMPLE).sort()) {
    const result = await readDicomHeader(join(SAMPLE, file));
    if (!result.ok) {
      throw new Error(`${file}: ${result.detail}`);
    }
    all.push(result.dataset);
  }
  studyUid = convertStudy(all, {}).studyInstanceUid;
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'push-bridge-'));
  server = await startFhirServer();
  store = openStudyStore(dir);
  const convertOptions = { endpoint: { kind: 'dicomweb' as const, baseUrl: DICOMWEB }, patientIdentifierSystem: PATIENT_SYSTEM };
  push = createBridgePush({
    settings: { url: server.baseUrl, timeoutMs: 5000 },
    store,
    logger: silent,
    convert: convertStudy,
    convertOptions,
    backoff: { baseMs: 20, maxMs: 100 },
  });
  served = all;
  sync = createSyncService({
    store,
    fetchStudy: async (uid) => (uid === studyUid ? served : undefined),
    convert: convertStudy,
    convertOptions,
    logger: silent,
    onStored: push.hooks.onStored,
    onDeleted: push.hooks.onDeleted,
  });
  push.start();
});

afterEach(async () => {
  await sync.stop();
  await push.stop();
  store.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const identifier = (): Record<string, string> => ({ identifier: `urn:dicom:uid|urn:oid:${studyUid}` });

describe('bridge push', () => {
  it('publishes a synced study with its Patient and DICOMweb Endpoint, and an unchanged re-sync sends nothing', async () => {
    await sync.syncStudy(studyUid, 'manual');
    await push.outbox.drain();
    const [study] = await server.search<ImagingStudy>('ImagingStudy', identifier());
    const endpoints = await server.search<Endpoint>('Endpoint');
    expect(study?.numberOfInstances).toBe(all.length);
    expect(endpoints.map((e) => e.address)).toEqual([DICOMWEB]);
    expect(study?.endpoint?.[0]?.reference).toBe(`Endpoint/${endpoints[0]?.id}`);
    expect(study?.subject.reference).toMatch(/^Patient\//);
    expect(await server.search('Patient')).toHaveLength(1);

    const posts = server.requests.length;
    expect((await sync.syncStudy(studyUid, 'manual')).outcome).toBe('unchanged');
    await push.outbox.drain();
    expect(server.requests.length).toBe(posts);
  });

  it('publishes the new version of a study that grew, updating the same ImagingStudy', async () => {
    served = all.slice(0, 2);
    await sync.syncStudy(studyUid, 'manual');
    await push.outbox.drain();
    const [before] = await server.search<ImagingStudy>('ImagingStudy', identifier());
    expect(before?.numberOfInstances).toBe(2);

    served = all;
    expect((await sync.syncStudy(studyUid, 'manual')).outcome).toBe('updated');
    await push.outbox.drain();
    const after = await server.search<ImagingStudy>('ImagingStudy', identifier());
    expect(after.map((s) => [s.id, s.numberOfInstances])).toEqual([[before?.id, all.length]]);
  });

  it('on start, publishes a version the store kept but the outbox never queued, and later its deletion', async () => {
    await push.stop();
    const { study } = store.put(convertStudy(all, { endpoint: { kind: 'dicomweb', baseUrl: DICOMWEB }, patientIdentifierSystem: PATIENT_SYSTEM }).resource as ImagingStudy);
    const restarted = createBridgePush({ settings: { url: server.baseUrl }, store, logger: silent, convert: convertStudy, convertOptions: {} });
    restarted.start();
    await restarted.outbox.drain();
    const [published] = await server.search<ImagingStudy>('ImagingStudy', identifier());
    expect(published?.numberOfInstances).toBe(all.length);
    expect(published?.subject.reference).toMatch(/^Patient\//);
    expect((await server.search<Endpoint>('Endpoint')).map((e) => e.address)).toEqual([DICOMWEB]);
    expect(study.versionId).toBe(1);

    await restarted.stop();
    const posts = server.requests.length;
    const again = createBridgePush({ settings: { url: server.baseUrl }, store, logger: silent, convert: convertStudy, convertOptions: {} });
    again.start();
    await again.outbox.drain();
    expect(server.requests.length).toBe(posts);

    await again.stop();
    store.markDeleted(studyUid);
    const afterDelete = createBridgePush({ settings: { url: server.baseUrl }, store, logger: silent, convert: convertStudy, convertOptions: {} });
    afterDelete.start();
    await afterDelete.outbox.drain();
    await afterDelete.stop();
    expect(await server.search('ImagingStudy', identifier())).toHaveLength(0);
  });

  it('removes a study deleted at the source from the FHIR server', async () => {
    await sync.syncStudy(studyUid, 'manual');
    await push.outbox.drain();
    expect(await server.search('ImagingStudy', identifier())).toHaveLength(1);
    sync.deleteStudy(studyUid);
    await push.outbox.drain();
    expect(await server.search('ImagingStudy', identifier())).toHaveLength(0);
    expect(push.status()).toMatchObject({ pending: 0, failed: 0 });
  });
});
