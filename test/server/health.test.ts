import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeStore } from '../../src/bridge/store/index.js';
import { getStatus } from '../../src/server/outcomes.js';
import { healthz, readyz } from '../../src/server/routes/health.js';
import { RecordingSync, tempStore } from './fixtures.js';

let store: BridgeStore;
afterEach(() => {
  if (store.database.open) store.close();
});

describe('health probes', () => {
  it('healthz is always 200', async () => {
    store = tempStore();
    const [outcome, body] = await healthz();
    expect([getStatus(outcome), body]).toEqual([200, { status: 'ok' }]);
  });

  it('readyz is 200 with every check and the sync counts when the source and store answer', async () => {
    store = tempStore();
    const [outcome, body] = await readyz({ store, sync: new RecordingSync(store), checkSource: async () => undefined });
    expect(getStatus(outcome)).toBe(200);
    expect(body).toEqual({ status: 'ready', checks: { orthanc: { ok: true }, store: { ok: true } }, sync: { queued: 2, inFlight: 1, failures: 0 } });
  });

  it('readyz is 503 naming the source when Orthanc does not answer', async () => {
    store = tempStore();
    const [outcome, body] = await readyz({ store, sync: new RecordingSync(store), checkSource: () => Promise.reject(new Error('Orthanc GET /system: timeout after 2000 ms')) });
    expect(getStatus(outcome)).toBe(503);
    expect(body).toMatchObject({ status: 'not-ready', checks: { orthanc: { ok: false, error: 'Orthanc GET /system: timeout after 2000 ms' }, store: { ok: true } } });
  });

  it('readyz is 503 when the store cannot be read', async () => {
    store = tempStore();
    const sync = new RecordingSync(store);
    store.close();
    const [outcome, body] = await readyz({ store, sync, checkSource: async () => undefined });
    expect(getStatus(outcome)).toBe(503);
    expect(body).toMatchObject({ status: 'not-ready', checks: { orthanc: { ok: true }, store: { ok: false } } });
  });
});
