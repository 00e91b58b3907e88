/**
 * A study still arriving is never stored or published (SPEC §4). A real Orthanc (StableAge 3 s)
 * receives a study one instance every 400 ms while two bridges reconcile every second and read it
 * on demand: one asks Orthanc's own IsStable, the other sees Orthanc only over DICOMweb (no REST
 * API at its ORTHANC_URL) and waits for the instance count to hold still for its quiet period.
 * Neither stores nor publishes a version before the study is complete; each then stores exactly
 * one version with every instance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Bundle, ImagingStudy } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../src/bridge/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/index.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { generateCopies, type GeneratedStudy } from '../support/generate/copies.js';
import { filesUnder } from '../support/files.js';
import { waitFor } from '../support/wait.js';
import { freePort, startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const TEMPLATE = resolve('samples/ct-study/IM1.dcm');
const INSTANCES = 8;
const UPLOAD_GAP_MS = 400;

let dir: string;
let orthanc: OrthancHandle;
let fhir: FhirTestServer;
let withOrthanc: Bridge;
let dicomWebOnly: Bridge;
let study: GeneratedStudy;

function config(overrides: Record<string, string>): Config {
  const loaded = loadConfig({ SYNC_CRON: '* * * * * *', CHANGES_POLL_INTERVAL: '0', LOG_LEVEL: 'silent', PORT: '0', ...overrides });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  return loaded.config;
}

async function read(bridge: Bridge, uid: string): Promise<{ status: number; etag: string | null; instances?: number }> {
  const response = await fetch(`${bridge.url}/ImagingStudy/${uid}`);
  const body = (await response.json()) as ImagingStudy;
  return { status: response.status, etag: response.headers.get('etag'), ...(body.numberOfInstances === undefined ? {} : { instances: body.numberOfInstances }) };
}

function transactionsFor(uid: string): Bundle[] {
  return fhir.requests
    .map((r) => r.body as Bundle | undefined)
    .filter((body): body is Bundle => body?.type === 'transaction' && body.entry?.some((e) => e.request?.url === `ImagingStudy?identifier=urn:dicom:uid|urn:oid:${uid}`) === true);
}


beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faults-slow-upload-'));
  const copies = await generateCopies(TEMPLATE, join(dir, 'copies'), { studies: 1, seriesPerStudy: 2, instancesPerSeries: INSTANCES / 2, seed: 'slow-upload' });
  study = copies.studies[0] as GeneratedStudy;
  [orthanc, fhir] = await Promise.all([startOrthanc({ stableAgeSeconds: 3 }), startFhirServer()]);
  const logger = createLogger({ level: 'silent' });
  withOrthanc = await startBridge(config({ ORTHANC_URL: orthanc.url, DATA_DIR: join(dir, 'a'), FHIR_SERVER_URL: fhir.baseUrl }), { logger });
  // Nothing listens at this ORTHANC_URL: the bridge knows the PACS over DICOMweb only.
  dicomWebOnly = await startBridge(
    config({ ORTHANC_URL: `http://127.0.0.1:${await freePort()}`, DICOMWEB_URL: orthanc.dicomWebUrl, DATA_DIR: join(dir, 'b'), RECONCILE_QUIET_PERIOD: '4s' }),
    { logger },
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([withOrthanc?.stop(), dicomWebOnly?.stop()]);
  await Promise.all([orthanc?.stop(), fhir?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('reconciliation during a slow upload', () => {
  it('stores and publishes nothing until the study is stable, answers on-demand reads unstored and unversioned, then stores one complete version', async () => {
    const uid = study.studyInstanceUid;
    const files = filesUnder(study.directory).sort();
    expect(files).toHaveLength(INSTANCES);
    const runsBefore = [withOrthanc, dicomWebOnly].map((b) => b.reconciler.lastRun()?.finishedAt);

    for (const [index, file] of files.entries()) {
      await orthanc.upload([file]);
      for (const bridge of [withOrthanc, dicomWebOnly]) {
        const answer = await read(bridge, uid);
        expect(answer).toEqual({ status: 200, etag: null, instances: index + 1 });
        expect(bridge.store.get(uid)).toBeUndefined();
      }
      expect(transactionsFor(uid)).toEqual([]);
      await new Promise((r) => setTimeout(r, UPLOAD_GAP_MS));
    }
    // Both reconcilers listed the study while it was arriving (and let it be).
    for (const [i, bridge] of [withOrthanc, dicomWebOnly].entries()) {
      const last = bridge.reconciler.lastRun();
      expect(last?.finishedAt).not.toBe(runsBefore[i]);
      expect(last).toMatchObject({ complete: true, listed: 1 });
      expect(bridge.store.get(uid)).toBeUndefined();
    }

    for (const bridge of [withOrthanc, dicomWebOnly]) {
      const stored = await waitFor('the complete study in the store', () => bridge.store.get(uid));
      expect([stored.versionId, stored.resource?.numberOfInstances]).toEqual([1, INSTANCES]);
    }
    const isStable = ((await (await fetch(`${orthanc.url}/tools/lookup`, { method: 'POST', body: uid })).json()) as Array<{ ID: string }>)[0]?.ID;
    expect(((await (await fetch(`${orthanc.url}/studies/${isStable}`)).json()) as { IsStable: boolean }).IsStable).toBe(true);
    const published = await waitFor('the study on the FHIR server', () => (transactionsFor(uid).length > 0 ? transactionsFor(uid) : undefined));
    const imagingStudy = published[0]?.entry?.find((e) => e.resource?.resourceType === 'ImagingStudy')?.resource as ImagingStudy;
    expect([published.length, imagingStudy.numberOfInstances]).toEqual([1, INSTANCES]);
    expect(await read(withOrthanc, uid)).toEqual({ status: 200, etag: 'W/"1"', instances: INSTANCES });
  }, 90_000);
});
