import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeStore } from '../../bridge/store/index.js';
import type { SyncFailure } from '../../bridge/types.js';
import { getStatus } from '../outcomes.js';
import { healthz, readyz, type ReadinessCheck } from './health.js';
import { RecordingSync, tempStore } from '../../../test/support/server-fixtures.js';

let store: BridgeStore;
afterEach(() => {
  if (store.database.open) store.close();
});

const failure: SyncFailure = { studyInstanceUid: '1.2.3', attempts: 1, lastError: 'HTTP 500', lastAttemptAt: '2024-01-01T00:00:00.000Z' };

describe('health probes', () => {
  it('healthz is always 200', async () => {
    store = tempStore();
    const [outcome, body] = await healthz();
    expect([getStatus(outcome), body]).toEqual([200, { status: 'ok' }]);
  });

  it('readyz is 200 ready with every check and the sync counts when nothing is wrong', async () => {
    store = tempStore();
    const [outcome, body] = await readyz({ store, sync: new RecordingSync(store), checkSource: async () => undefined });
    expect(getStatus(outcome)).toBe(200);
    expect(body).toEqual({ status: 'ready', reasons: [], checks: { orthanc: { ok: true }, store: { ok: true } }, sync: { queued: 2, inFlight: 1, failures: 0 } });
  });

  it('readyz is 503 with the pacs-unreachable reason when Orthanc does not answer', async () => {
    store = tempStore();
    const [outcome, body] = await readyz({ store, sync: new RecordingSync(store), checkSource: () => Promise.reject(new Error('Orthanc GET /system: timeout after 2000 ms')) });
    expect(getStatus(outcome)).toBe(503);
    expect(body).toMatchObject({
      status: 'not-ready',
      reasons: [{ code: 'pacs-unreachable', impact: 'unavailable', message: 'the image source does not answer: Orthanc GET /system: timeout after 2000 ms' }],
      checks: { orthanc: { ok: false, error: 'Orthanc GET /system: timeout after 2000 ms' }, store: { ok: true } },
    });
  });

  it('readyz is 503 with the store-unavailable reason when the store cannot be read', async () => {
    store = tempStore();
    const sync = new RecordingSync(store);
    store.close();
    const [outcome, body] = await readyz({ store, sync, checkSource: async () => undefined });
    expect(getStatus(outcome)).toBe(503);
    expect(body).toMatchObject({ status: 'not-ready', reasons: [{ code: 'store-unavailable', impact: 'unavailable' }], checks: { orthanc: { ok: true }, store: { ok: false } } });
  });

  it('readyz is 200 degraded naming failed syncs waiting for a retry', async () => {
    store = tempStore();
    const sync = { status: () => ({ queued: 0, inFlight: 0, failures: [failure, { ...failure, studyInstanceUid: '1.2.4' }] }) };
    const [outcome, body] = await readyz({ store, sync, checkSource: async () => undefined });
    expect(getStatus(outcome)).toBe(200);
    expect(body).toMatchObject({ status: 'degraded', reasons: [{ code: 'sync-failures', impact: 'degraded', message: '2 studies failed to sync and wait for a retry' }] });
    expect(JSON.stringify(body)).not.toContain('1.2.4');
  });

  it('readyz is 200 degraded with parked pushes and a failing FHIR server, without the server message', async () => {
    store = tempStore();
    const push = { status: () => ({ pending: 3, failed: 1, lastError: 'HTTP 500 quoting DOE^JANE' }) };
    const [outcome, body] = await readyz({ store, sync: new RecordingSync(store), checkSource: async () => undefined, push });
    expect(getStatus(outcome)).toBe(200);
    expect(body).toMatchObject({ status: 'degraded', reasons: [{ code: 'push-parked' }, { code: 'push-backlog' }], push: { pending: 3, failed: 1 } });
    expect(JSON.stringify(body)).not.toContain('DOE^JANE');
  });

  it('readyz takes further reasons from the readiness checks: unavailable wins over degraded, a throwing check is unavailable', async () => {
    store = tempStore();
    const base = { store, sync: new RecordingSync(store), checkSource: async () => undefined };
    const backlog: ReadinessCheck = () => ({ code: 'reconversion', impact: 'degraded', message: '4 studies wait' });
    const full: ReadinessCheck = async () => [{ code: 'store-full', impact: 'unavailable', message: 'disk full' }];
    const none: ReadinessCheck = () => undefined;

    const [degradedOutcome, degradedBody] = await readyz({ ...base, readiness: [none, backlog] });
    expect([getStatus(degradedOutcome), (degradedBody as { status: string }).status]).toEqual([200, 'degraded']);

    const [fullOutcome, fullBody] = await readyz({ ...base, readiness: [backlog, full] });
    expect(getStatus(fullOutcome)).toBe(503);
    expect(fullOutcome.issue[0]?.details?.text).toBe('Not ready: store-full');
    expect(fullBody).toMatchObject({ status: 'not-ready', reasons: [{ code: 'reconversion' }, { code: 'store-full' }] });

    const broken: ReadinessCheck = () => {
      throw new Error('boom');
    };
    const [brokenOutcome, brokenBody] = await readyz({ ...base, readiness: [broken] });
    expect(getStatus(brokenOutcome)).toBe(503);
    expect(brokenBody).toMatchObject({ reasons: [{ code: 'check-failed', impact: 'unavailable', message: 'a readiness check failed: boom' }] });
  });
});
