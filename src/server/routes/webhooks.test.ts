import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeStore } from '../../bridge/store/index.js';
import { getStatus, OperationOutcomeError } from '../outcomes.js';
import { deletedStudyWebhook, stableStudyWebhook, type WebhookDeps } from './webhooks.js';
import { makeStudy, RecordingSync, request, tempStore } from '../../../test/support/server-fixtures.js';

const SECRET = 'webhook-secret-0123456789';
const ORTHANC_ID = '6b9e19d9-62094390-5f9ddb01-4a191ae7-9766b715';
const UID = '1.2.826.0.1.3680043.8.498.7';
let store: BridgeStore;

afterEach(() => store?.close());

function deps(overrides: Partial<WebhookDeps> = {}): WebhookDeps & { sync: RecordingSync; reconciles: number } {
  store = tempStore();
  const result = {
    webhookSecret: SECRET,
    sync: new RecordingSync(store),
    orthancStudies: { remember: (id: string, uid: string) => store.mapOrthancStudyId(id, uid), lookup: (id: string) => store.studyUidForOrthancId(id) },
    reconciles: 0,
    reconcileSoon: () => {
      result.reconciles++;
    },
    ...overrides,
  };
  return result as WebhookDeps & { sync: RecordingSync; reconciles: number };
}

async function failure(promise: Promise<unknown>): Promise<[number, string | undefined]> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof OperationOutcomeError)) throw new Error(`expected an OperationOutcomeError, got ${String(error)}`);
  return [getStatus(error.outcome), error.outcome.issue[0]?.details?.text];
}

const auth = { authorization: `Bearer ${SECRET}` };

describe('POST /orthanc/stable-study', () => {
  it('answers 202, remembers the Orthanc id and queues the study', async () => {
    const d = deps();
    const [outcome] = await stableStudyWebhook(request({ method: 'POST', headers: auth, body: { ID: ORTHANC_ID, StudyInstanceUID: UID } }), d);
    expect(getStatus(outcome)).toBe(202);
    expect(d.sync.calls).toEqual([{ op: 'enqueue', uid: UID, reason: 'webhook' }]);
    expect(store.studyUidForOrthancId(ORTHANC_ID)).toBe(UID);
  });

  it('answers 401 for a missing or wrong secret and queues nothing', async () => {
    const d = deps();
    const body = { ID: ORTHANC_ID, StudyInstanceUID: UID };
    for (const headers of [{}, { authorization: 'Bearer wrong-secret-0123456789' }, { authorization: SECRET }, { authorization: `Basic ${SECRET}` }]) {
      expect(await failure(stableStudyWebhook(request({ method: 'POST', headers, body }), d))).toEqual([401, 'Unauthorized']);
    }
    expect(d.sync.calls).toEqual([]);
  });

  it('stays closed with 503 when no secret is configured', async () => {
    const d = deps({ webhookSecret: undefined });
    const [status, text] = await failure(stableStudyWebhook(request({ method: 'POST', headers: { authorization: 'Bearer ' }, body: { ID: ORTHANC_ID, StudyInstanceUID: UID } }), d));
    expect([status, text]).toEqual([503, 'Webhooks are disabled: WEBHOOK_SECRET is not configured']);
  });

  it('answers 400 naming each invalid field, so no crafted UID reaches a DICOMweb URL', async () => {
    const d = deps();
    const [status, text] = await failure(stableStudyWebhook(request({ method: 'POST', headers: auth, body: { ID: '../../system', StudyInstanceUID: '1.2/../x' } }), d));
    expect(status).toBe(400);
    expect(text).toContain('ID: must be an Orthanc study id');
    expect(text).toContain('StudyInstanceUID: must be a DICOM UID');
    expect(await failure(stableStudyWebhook(request({ method: 'POST', headers: auth, body: undefined }), d))).toEqual([400, expect.stringContaining('Invalid webhook body')]);
    expect(d.sync.calls).toEqual([]);
  });
});

describe('POST /orthanc/deleted-study', () => {
  it('deletes the study the Orthanc id maps to', async () => {
    const d = deps();
    store.put(makeStudy({ uid: UID }));
    store.mapOrthancStudyId(ORTHANC_ID, UID);
    const [outcome] = await deletedStudyWebhook(request({ method: 'POST', headers: auth, body: { ID: ORTHANC_ID } }), d);
    expect(getStatus(outcome)).toBe(202);
    expect(d.sync.calls).toEqual([{ op: 'deleteStudy', uid: UID }]);
    expect(store.get(UID)?.deleted).toBe(true);
    expect(d.reconciles).toBe(0);
  });

  it('falls back to a reconciliation when the Orthanc id was never seen', async () => {
    const d = deps();
    const [outcome] = await deletedStudyWebhook(request({ method: 'POST', headers: auth, body: { ID: ORTHANC_ID } }), d);
    expect(getStatus(outcome)).toBe(202);
    expect([d.sync.calls, d.reconciles]).toEqual([[], 1]);
  });

  it('answers 401 without the secret', async () => {
    const d = deps();
    expect(await failure(deletedStudyWebhook(request({ method: 'POST', body: { ID: ORTHANC_ID } }), d))).toEqual([401, 'Unauthorized']);
    expect(d.reconciles).toBe(0);
  });
});
