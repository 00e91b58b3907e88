import { afterEach, describe, expect, it } from 'vitest';
import type { Bundle, ImagingStudy, OperationOutcome } from 'fhir/r4';
import type { BridgeStore } from '../../bridge/store/index.js';
import { getStatus, OperationOutcomeError } from '../outcomes.js';
import { readImagingStudy } from './read.js';
import { searchImagingStudy } from './search.js';
import { makeStudy, RecordingSync, request, tempStore } from '../../../test/support/server-fixtures.js';

const UID = '1.2.826.0.1.3680043.8.498.1';
let store: BridgeStore;

afterEach(() => store?.close());

async function statusOf(promise: Promise<unknown>): Promise<{ status: number; outcome: OperationOutcome }> {
  const error = await promise.then(
    () => {
      throw new Error('expected the handler to throw');
    },
    (e: unknown) => e,
  );
  if (!(error instanceof OperationOutcomeError)) throw error;
  return { status: getStatus(error.outcome), outcome: error.outcome };
}

describe('GET /ImagingStudy/{id}', () => {
  it('answers the stored study with its version as a weak ETag and Last-Modified', async () => {
    store = tempStore();
    store.put(makeStudy({ uid: UID }));
    const [outcome, body, headers] = await readImagingStudy(request({ params: { id: UID } }), { store, sync: new RecordingSync(store) });
    expect(getStatus(outcome)).toBe(200);
    expect((body as ImagingStudy).identifier?.[0]?.value).toBe(`urn:oid:${UID}`);
    expect((body as ImagingStudy).meta?.versionId).toBe('1');
    expect(headers?.ETag).toBe('W/"1"');
    const lastUpdated = (body as ImagingStudy).meta?.lastUpdated;
    expect(lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(headers?.['Last-Modified']).toBe(new Date(lastUpdated ?? '').toUTCString());
  });

  it('answers 304 without a body when If-None-Match names the current version, 200 for an older one', async () => {
    store = tempStore();
    store.put(makeStudy({ uid: UID }));
    store.put(makeStudy({ uid: UID, modality: ['MR'] }));
    const deps = { store, sync: new RecordingSync(store) };
    const [notModified, body, headers] = await readImagingStudy(request({ params: { id: UID }, headers: { 'if-none-match': 'W/"2"' } }), deps);
    expect([getStatus(notModified), body, headers?.ETag]).toEqual([304, undefined, 'W/"2"']);
    const [stale, fresh] = await readImagingStudy(request({ params: { id: UID }, headers: { 'if-none-match': 'W/"1"' } }), deps);
    expect(getStatus(stale)).toBe(200);
    expect((fresh as ImagingStudy).modality?.[0]?.code).toBe('MR');
  });

  it('answers 410 for a study deleted at the source and does not convert it again', async () => {
    store = tempStore();
    store.put(makeStudy({ uid: UID }));
    store.markDeleted(UID);
    const sync = new RecordingSync(store, new Map([[UID, makeStudy({ uid: UID })]]));
    const { status, outcome } = await statusOf(readImagingStudy(request({ params: { id: UID } }), { store, sync }));
    expect([status, outcome.issue[0]?.code]).toEqual([410, 'deleted']);
    expect(sync.calls).toEqual([]);
  });

  it('converts an unknown Study UID on demand when the source has it', async () => {
    store = tempStore();
    const sync = new RecordingSync(store, new Map([[UID, makeStudy({ uid: UID, accession: 'A1' })]]));
    const [outcome, body, headers] = await readImagingStudy(request({ params: { id: UID } }), { store, sync });
    expect(getStatus(outcome)).toBe(200);
    expect((body as ImagingStudy).identifier?.[1]?.value).toBe('A1');
    expect(headers?.ETag).toBe('W/"1"');
    expect(sync.calls).toEqual([{ op: 'syncStudy', uid: UID, reason: 'on-demand' }]);
    expect(store.get(UID)?.versionId).toBe(1);
  });

  it('answers an unstable study as converted so far, uncached and without a version, and stores nothing', async () => {
    store = tempStore();
    const arriving = makeStudy({ uid: UID, accession: 'A1' });
    const sync = new RecordingSync(store);
    sync.syncStudy = async (uid, reason) => {
      sync.calls.push({ op: 'syncStudy', uid, reason });
      return { studyInstanceUid: uid, outcome: 'unstable', resource: arriving };
    };
    const [outcome, body, headers] = await readImagingStudy(request({ params: { id: UID }, headers: { 'if-none-match': '*' } }), { store, sync });
    expect([getStatus(outcome), (body as ImagingStudy).identifier?.[1]?.value, headers]).toEqual([200, 'A1', { 'Cache-Control': 'no-store' }]);
    expect(sync.calls).toEqual([{ op: 'syncStudy', uid: UID, reason: 'on-demand' }]);
    expect(store.get(UID)).toBeUndefined();
  });

  it('answers 404 when neither the store nor the source has the study', async () => {
    store = tempStore();
    const sync = new RecordingSync(store);
    const { status, outcome } = await statusOf(readImagingStudy(request({ params: { id: UID } }), { store, sync }));
    expect([status, outcome.issue[0]?.code]).toEqual([404, 'not-found']);
    expect(sync.calls).toHaveLength(1);
  });

  it('answers 404 without asking the source for an id that is not a UID', async () => {
    store = tempStore();
    const sync = new RecordingSync(store);
    expect((await statusOf(readImagingStudy(request({ params: { id: 'abc-def' } }), { store, sync }))).status).toBe(404);
    expect(sync.calls).toEqual([]);
  });

  it('answers 400 for a malformed id before any lookup', async () => {
    store = tempStore();
    const sync = new RecordingSync(store);
    for (const id of ['..%2F..%2Finstances', 'a/b', '', 'x'.repeat(65), '1.2_3']) {
      const { status, outcome } = await statusOf(readImagingStudy(request({ params: { id } }), { store, sync }));
      expect([status, outcome.issue[0]?.expression]).toEqual([400, ['id']]);
    }
    expect(sync.calls).toEqual([]);
  });

  it('answers 503 when the source cannot be reached for an on-demand conversion', async () => {
    store = tempStore();
    const sync = new RecordingSync(store);
    sync.failure = new Error('connect ECONNREFUSED 127.0.0.1:8042');
    const { status, outcome } = await statusOf(readImagingStudy(request({ params: { id: UID } }), { store, sync }));
    expect([status, outcome.issue[0]?.details?.text]).toEqual([503, 'The image source could not be reached']);
  });
});

describe('GET /ImagingStudy?…', () => {
  function seed(): BridgeStore {
    const s = tempStore();
    for (let i = 1; i <= 5; i++) {
      s.put(makeStudy({ uid: `1.2.3.${i}`, accession: `ACC${i}`, modality: [i % 2 === 0 ? 'MR' : 'CT'], started: `2024-01-0${i}T10:00:00Z` }));
    }
    return s;
  }

  async function search(query: Record<string, string[]>, headers: Record<string, string> = {}): Promise<Bundle> {
    const [outcome, body] = await searchImagingStudy(request({ query, headers }), { store });
    expect(getStatus(outcome)).toBe(200);
    return body as Bundle;
  }

  it('finds a study by system|value, by the bare UID and by accession number', async () => {
    store = seed();
    for (const identifier of ['urn:dicom:uid|urn:oid:1.2.3.4', '1.2.3.4', 'ACC4']) {
      const bundle = await search({ identifier: [identifier] });
      expect([bundle.type, bundle.total, bundle.entry?.map((e) => e.fullUrl)]).toEqual(['searchset', 1, ['http://fhir.test/ImagingStudy/1.2.3.4']]);
      expect(bundle.entry?.[0]?.search).toEqual({ mode: 'match' });
    }
  });

  it('pages with total and self/next/previous links', async () => {
    store = seed();
    const first = await search({ _count: ['2'] });
    expect(first.total).toBe(5);
    expect(first.entry?.map((e) => (e.resource as ImagingStudy).id)).toEqual(['1.2.3.5', '1.2.3.4']);
    expect(first.link).toEqual([
      { relation: 'self', url: 'http://fhir.test/ImagingStudy?_count=2&_offset=0' },
      { relation: 'next', url: 'http://fhir.test/ImagingStudy?_count=2&_offset=2' },
    ]);
    const last = await search({ _count: ['2'], _offset: ['4'] });
    expect(last.entry?.map((e) => (e.resource as ImagingStudy).id)).toEqual(['1.2.3.1']);
    expect(last.link).toEqual([
      { relation: 'self', url: 'http://fhir.test/ImagingStudy?_count=2&_offset=4' },
      { relation: 'previous', url: 'http://fhir.test/ImagingStudy?_count=2&_offset=2' },
    ]);
  });

  it('filters by modality and started and keeps the filters in the links', async () => {
    store = seed();
    const bundle = await search({ modality: ['MR'], started: ['ge2024-01-03'], unknown: ['x'] }, { prefer: 'handling=lenient' });
    expect(bundle.total).toBe(1);
    expect((bundle.entry?.[0]?.resource as ImagingStudy).id).toBe('1.2.3.4');
    expect(bundle.link?.[0]?.url).toBe('http://fhir.test/ImagingStudy?modality=MR&started=ge2024-01-03&_count=20&_offset=0');
  });

  it('answers total only for _count=0', async () => {
    store = seed();
    const bundle = await search({ _count: ['0'] });
    expect([bundle.total, bundle.entry, bundle.link?.length]).toEqual([5, undefined, 1]);
  });

  it('rejects an unknown parameter by default and under Prefer: handling=strict, naming it', async () => {
    store = seed();
    for (const headers of [{}, { prefer: 'handling=strict' }]) {
      const { status, outcome } = await statusOf(searchImagingStudy(request({ query: { foo: ['1'] }, headers }), { store }));
      expect([status, outcome.issue[0]?.expression]).toEqual([400, ['foo']]);
    }
  });

  it('leaves deleted studies out', async () => {
    store = seed();
    store.markDeleted('1.2.3.5');
    const bundle = await search({});
    expect(bundle.total).toBe(4);
    expect(bundle.entry?.map((e) => (e.resource as ImagingStudy).id)).not.toContain('1.2.3.5');
  });
});
