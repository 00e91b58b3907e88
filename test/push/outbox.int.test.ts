import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Bundle, ImagingStudy } from 'fhir/r4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredStudy } from '../../src/bridge/types.js';
import { createFhirClient } from '../../src/push/fhir-client.js';
import { createPushOutbox, type PushLogger, type PushOutbox } from '../../src/push/outbox.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { studyBundle, type StudyFixture } from './study-bundle.js';

const UID_A = '1.2.826.0.1.3680043.10.4.1';
const UID_B = '1.2.826.0.1.3680043.10.4.2';
const UID_C = '1.2.826.0.1.3680043.10.4.3';

let dir: string;
let server: FhirTestServer;
const open: Array<{ outbox: PushOutbox; database: Database.Database }> = [];
const logged: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
const logger: PushLogger = {
  info: (fields, message) => logged.push({ level: 'info', fields, message }),
  warn: (fields, message) => logged.push({ level: 'warn', fields, message }),
  error: (fields, message) => logged.push({ level: 'error', fields, message }),
};

/** A stored version whose ImagingStudy carries what the fixture Bundle needs. */
function stored(fixture: StudyFixture, versionId: number): StoredStudy {
  const resource: ImagingStudy = {
    resourceType: 'ImagingStudy',
    id: fixture.studyInstanceUid,
    status: 'available',
    subject: { reference: '#patient.contained.inline' },
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${fixture.studyInstanceUid}` }],
    ...(fixture.description === undefined ? {} : { description: fixture.description }),
    numberOfInstances: fixture.numberOfInstances ?? 1,
  };
  return { id: fixture.studyInstanceUid, studyInstanceUid: fixture.studyInstanceUid, versionId, lastUpdated: new Date().toISOString(), deleted: false, resource };
}

function fixtureOf(study: StoredStudy): StudyFixture {
  const resource = study.resource as ImagingStudy;
  return {
    studyInstanceUid: study.studyInstanceUid,
    patientId: 'PID-7',
    accessionNumber: `ACC-${study.studyInstanceUid.split('.').at(-1)}`,
    ...(resource.description === undefined ? {} : { description: resource.description }),
    ...(resource.numberOfInstances === undefined ? {} : { numberOfInstances: resource.numberOfInstances }),
  };
}

function openOutbox(baseUrl: string): PushOutbox {
  const database = new Database(join(dir, 'store.sqlite'));
  const outbox = createPushOutbox({
    database,
    client: createFhirClient({ baseUrl, retries: 0, timeoutMs: 2000 }),
    logger,
    buildBundle: (study) => studyBundle(fixtureOf(study)),
    backoff: { baseMs: 20, maxMs: 100 },
  });
  open.push({ outbox, database });
  return outbox;
}

async function closeOutbox(outbox: PushOutbox): Promise<void> {
  const index = open.findIndex((o) => o.outbox === outbox);
  const [entry] = open.splice(index, 1);
  await entry?.outbox.stop();
  entry?.database.close();
}

/** Which study each write after `from` was about, as `POST <uid>` / `DELETE <uid>` (the identity checks' GETs left out). */
function sent(from: number): string[] {
  return server.requests.slice(from).filter((r) => r.method !== 'GET').map((r) => {
    if (r.method === 'POST') {
      const study = (r.body as Bundle).entry?.find((e) => e.resource?.resourceType === 'ImagingStudy')?.resource as ImagingStudy;
      return `POST ${study.identifier?.[0]?.value?.replace('urn:oid:', '')} ${study.description ?? ''}`.trim();
    }
    return `${r.method} ${decodeURIComponent(r.url.split('?')[1] ?? '')}`;
  });
}

const until = async (check: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'push-outbox-'));
  server = await startFhirServer();
  logged.length = 0;
});

afterEach(async () => {
  for (const { outbox, database } of open.splice(0)) {
    await outbox.stop();
    database.close();
  }
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('push outbox', () => {
  it('delivers every change made while the server was down, in order and once, after a restart of both', async () => {
    const first = openOutbox(server.baseUrl);
    first.start();
    first.onStored(stored({ studyInstanceUid: UID_C, patientId: 'PID-7', accessionNumber: 'ACC-3' }, 1));
    await first.drain();
    expect(await server.search('ImagingStudy')).toHaveLength(1);

    await server.stop();
    first.onStored(stored({ studyInstanceUid: UID_A, patientId: 'PID-7', accessionNumber: 'ACC-1', description: 'v1' }, 1));
    first.onStored(stored({ studyInstanceUid: UID_B, patientId: 'PID-7', accessionNumber: 'ACC-2', description: 'v1' }, 1));
    first.onStored(stored({ studyInstanceUid: UID_A, patientId: 'PID-7', accessionNumber: 'ACC-1', description: 'v2', numberOfInstances: 2 }, 2));
    first.onDeleted(UID_C);
    await until(() => first.status().lastError !== undefined);
    const down = first.status();
    expect(down.pending).toBe(3);
    expect(down.lastError).toContain('could not be reached');
    expect(down.oldestPendingAt).toBeDefined();
    await closeOutbox(first);

    const second = openOutbox(server.baseUrl);
    expect(second.status().pending).toBe(3);
    server = await startFhirServer({ port: server.port, repository: server.repository });
    second.start();
    await second.drain();

    expect(sent(0)).toEqual([`POST ${UID_B} v1`, `POST ${UID_A} v2`, `DELETE identifier=urn:dicom:uid|urn:oid:${UID_C}`]);
    const studies = await server.search<ImagingStudy>('ImagingStudy');
    expect(studies.map((s) => [s.identifier?.[0]?.value, s.description, s.numberOfInstances]).sort()).toEqual([
      [`urn:oid:${UID_A}`, 'v2', 2],
      [`urn:oid:${UID_B}`, 'v1', 1],
    ]);
    expect(await server.search('Patient')).toHaveLength(1);
    expect(await server.search('ServiceRequest')).toHaveLength(3);
    const status = second.status();
    expect(status.pending).toBe(0);
    expect(status.lastError).toBeUndefined();
    expect(status.lastSuccessAt).toBeDefined();
  });

  it('removes a deleted study from the server', async () => {
    const outbox = openOutbox(server.baseUrl);
    outbox.start();
    outbox.onStored(stored({ studyInstanceUid: UID_A, patientId: 'PID-7', accessionNumber: 'ACC-1' }, 1));
    await outbox.drain();
    expect(await server.search('ImagingStudy', { identifier: `urn:dicom:uid|urn:oid:${UID_A}` })).toHaveLength(1);
    outbox.onDeleted(UID_A);
    await outbox.drain();
    expect(await server.search('ImagingStudy', { identifier: `urn:dicom:uid|urn:oid:${UID_A}` })).toHaveLength(0);
  });

  it('sends nothing for an unchanged version and prefers a Bundle handed in over building one', async () => {
    const outbox = openOutbox(server.baseUrl);
    outbox.start();
    outbox.onStored(stored({ studyInstanceUid: UID_A, patientId: 'PID-7', accessionNumber: 'ACC-1' }, 1), 'unchanged');
    expect(outbox.status().pending).toBe(0);
    const handed = studyBundle({ studyInstanceUid: UID_A, patientId: 'PID-7', accessionNumber: 'ACC-1', description: 'from the sync service' });
    outbox.onStored(stored({ studyInstanceUid: UID_A, patientId: 'PID-7', accessionNumber: 'ACC-1' }, 2), 'updated', handed);
    await outbox.drain();
    expect(sent(0)).toEqual([`POST ${UID_A} from the sync service`]);
  });

  it('parks a Bundle the server keeps rejecting and goes on with the next study', async () => {
    const database = new Database(join(dir, 'store.sqlite'));
    const outbox = createPushOutbox({
      database,
      client: createFhirClient({ baseUrl: server.baseUrl, retries: 0 }),
      logger,
      buildBundle: (study) => {
        const bundle = studyBundle(fixtureOf(study));
        if (study.studyInstanceUid === UID_A && bundle.entry?.[2]?.resource) {
          bundle.entry[2].resource.id = 'client-chosen';
        }
        return bundle;
      },
      backoff: { baseMs: 10, maxMs: 20 },
      maxAttempts: 2,
    });
    open.push({ outbox, database });
    outbox.start();
    outbox.onStored(stored({ studyInstanceUid: UID_A, patientId: 'PID-7', accessionNumber: 'ACC-1' }, 1));
    outbox.onStored(stored({ studyInstanceUid: UID_B, patientId: 'PID-7', accessionNumber: 'ACC-2' }, 1));
    await outbox.drain();

    const status = outbox.status();
    expect(status).toMatchObject({ pending: 0, failed: 1 });
    expect(status.lastError).toContain('answered 400 to the transaction (1 attempt): Cannot provide ID for create by update');
    // A's retry waits for its own backoff; B is not held up behind it.
    expect(sent(0).filter((s) => s === `POST ${UID_A}`)).toHaveLength(2);
    expect(sent(0)[0]).toBe(`POST ${UID_A}`);
    expect(sent(0)).toContain(`POST ${UID_B}`);
    expect((await server.search<ImagingStudy>('ImagingStudy')).map((s) => s.identifier?.[0]?.value)).toEqual([`urn:oid:${UID_B}`]);
    expect(logged.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'push failed; this study retries later, the others go on',
      'push failed repeatedly; parked until retried',
    ]);
    expect(status.parked).toEqual([
      expect.objectContaining({ studyInstanceUid: UID_A, kind: 'upsert', reason: 'rejected', attempts: 2, message: expect.stringContaining('answered 400') }),
    ]);
  });

  it('logs study UIDs and statuses but no patient identifiers', async () => {
    const outbox = openOutbox(server.baseUrl);
    outbox.start();
    outbox.onStored(stored({ studyInstanceUid: UID_A, patientId: 'PID-7', accessionNumber: 'ACC-1' }, 1));
    await outbox.drain();
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).toContain(UID_A);
    expect(JSON.stringify(logged)).not.toContain('PID-7');
  });
});
