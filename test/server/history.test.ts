/**
 * Versions (vread, instance history) and the HTTP semantics of every route (405 with Allow, 406,
 * PHI headers), against the running bridge listener (direct read in front of Express).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bundle, ImagingStudy, OperationOutcome } from 'fhir/r4';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createHttpListener } from '../../src/server/index.js';
import { apiDeps, logLines, makeStudy } from '../support/server-fixtures.js';

const API_TOKEN = 'api-token-0123456789abcdef';
const bearer = { authorization: `Bearer ${API_TOKEN}` };
const UID = '1.2.826.0.1.3680043.8.498.61';

let store: BridgeStore;
let server: Server;
let url: string;

beforeEach(async () => {
  let tick = 0;
  store = openStudyStore(mkdtempSync(join(tmpdir(), 'dicom2fhir-history-')), { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)) });
  server = createServer(
    createHttpListener(
      apiDeps(store, {
        apiToken: API_TOKEN,
        webhookSecret: 'webhook-secret-0123456789',
        logger: createLogger({ level: 'silent', destination: logLines().destination }),
      }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  store.close();
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${url}${path}`, { ...init, headers: { ...bearer, ...(init.headers as Record<string, string> | undefined) } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

/** Version 1 (CT), version 2 (MR), version 3 the deletion, version 4 back (US). */
function updateDeleteRestore(): void {
  store.put(makeStudy({ uid: UID, modality: ['CT'] }));
  store.put(makeStudy({ uid: UID, modality: ['MR'] }));
  store.markDeleted(UID);
  store.put(makeStudy({ uid: UID, modality: ['US'] }));
}

describe('vread', () => {
  it('answers every kept version with its ETag, 410 for the deletion and 404 for a version that never was', async () => {
    updateDeleteRestore();
    for (const [vid, modality] of [['1', 'CT'], ['2', 'MR'], ['4', 'US']] as const) {
      const answer = await call(`/ImagingStudy/${UID}/_history/${vid}`);
      const study = answer.body as ImagingStudy;
      expect([answer.status, study.meta?.versionId, study.modality?.[0]?.code, answer.headers.get('etag')]).toEqual([200, vid, modality, `W/"${vid}"`]);
      expect([answer.headers.get('cache-control'), answer.headers.get('x-content-type-options')]).toEqual(['no-store', 'nosniff']);
    }
    const deletion = await call(`/ImagingStudy/${UID}/_history/3`);
    expect([deletion.status, (deletion.body as OperationOutcome).issue[0]?.code]).toEqual([410, 'deleted']);
    for (const path of [`/ImagingStudy/${UID}/_history/5`, `/ImagingStudy/${UID}/_history/abc`, '/ImagingStudy/9.9.9/_history/1']) {
      expect([path, (await call(path)).status]).toEqual([path, 404]);
    }
    expect((await call(`/ImagingStudy/${UID}/_history/1_0`)).status).toBe(400);
    const notModified = await call(`/ImagingStudy/${UID}/_history/2`, { headers: { 'if-none-match': 'W/"2"' } });
    expect([notModified.status, notModified.body]).toEqual([304, undefined]);
  });

  it('needs the API token', async () => {
    store.put(makeStudy({ uid: UID }));
    const response = await fetch(`${url}/ImagingStudy/${UID}/_history/1`);
    expect(response.status).toBe(401);
  });
});

describe('instance history', () => {
  it('lists every version newest first, the deletion as a DELETE entry without resource', async () => {
    updateDeleteRestore();
    const answer = await call(`/ImagingStudy/${UID}/_history`);
    const bundle = answer.body as Bundle;
    expect([answer.status, bundle.type, bundle.total]).toEqual([200, 'history', 4]);
    expect(bundle.entry?.map((e) => [e.request?.method, e.response?.status, e.response?.etag, (e.resource as ImagingStudy | undefined)?.modality?.[0]?.code])).toEqual([
      ['POST', '201 Created', 'W/"4"', 'US'],
      ['DELETE', '204 No Content', 'W/"3"', undefined],
      ['PUT', '200 OK', 'W/"2"', 'MR'],
      ['POST', '201 Created', 'W/"1"', 'CT'],
    ]);
    expect(bundle.entry?.[1]?.response?.lastModified).toBe('2026-01-01T00:00:02.000Z');
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('pages with _count and _offset, filters with _since, and shows a deleted study’s history', async () => {
    updateDeleteRestore();
    const first = (await call(`/ImagingStudy/${UID}/_history?_count=3`)).body as Bundle;
    expect([first.entry?.length, first.link?.map((l) => l.relation)]).toEqual([3, ['self', 'next']]);
    const next = first.link?.find((l) => l.relation === 'next')?.url ?? '';
    const second = (await call(next.slice(url.length))).body as Bundle;
    expect([second.entry?.map((e) => e.response?.etag), second.link?.map((l) => l.relation)]).toEqual([['W/"1"'], ['self', 'previous']]);
    const since = (await call(`/ImagingStudy/${UID}/_history?_since=${encodeURIComponent('2026-01-01T00:00:02Z')}`)).body as Bundle;
    expect([since.total, since.entry?.map((e) => e.response?.etag)]).toEqual([2, ['W/"4"', 'W/"3"']]);
    store.markDeleted(UID);
    const deleted = (await call(`/ImagingStudy/${UID}/_history?_count=1`)).body as Bundle;
    expect([deleted.total, deleted.entry?.[0]?.request?.method, deleted.entry?.[0]?.resource]).toEqual([5, 'DELETE', undefined]);
    expect((await call(`/ImagingStudy/${UID}`)).status).toBe(410);
  });

  it('answers 404 for a study never stored and 400 for unknown or bad parameters', async () => {
    store.put(makeStudy({ uid: UID }));
    expect((await call('/ImagingStudy/9.9.9/_history')).status).toBe(404);
    for (const query of ['_at=2024', '_count=x', '_since=2024-01-01', '_since=yesterday']) {
      const answer = await call(`/ImagingStudy/${UID}/_history?${query}`);
      expect([query, answer.status, (answer.body as OperationOutcome).resourceType]).toEqual([query, 400, 'OperationOutcome']);
    }
  });
});

describe('HTTP semantics', () => {
  it('answers 405 with Allow for methods a path does not support', async () => {
    store.put(makeStudy({ uid: UID }));
    const cases: Array<[string, string, string]> = [
      ['PUT', `/ImagingStudy/${UID}`, 'GET, HEAD'],
      ['DELETE', `/ImagingStudy/${UID}`, 'GET, HEAD'],
      ['PATCH', `/ImagingStudy/${UID}`, 'GET, HEAD'],
      ['POST', `/ImagingStudy/${UID}`, 'GET, HEAD'],
      ['POST', '/ImagingStudy', 'GET, HEAD'],
      ['DELETE', '/ImagingStudy', 'GET, HEAD'],
      ['PUT', '/ImagingStudy/_search', 'GET, HEAD, POST'],
      ['DELETE', `/ImagingStudy/${UID}/_history`, 'GET, HEAD'],
      ['PUT', `/ImagingStudy/${UID}/_history/1`, 'GET, HEAD'],
      ['POST', '/metadata', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await call(path, { method, headers: { 'content-type': 'application/fhir+json' }, body: method === 'DELETE' ? undefined : '{}' });
      const outcome = answer.body as OperationOutcome;
      expect([method, path, answer.status, answer.headers.get('allow'), outcome.issue[0]?.code]).toEqual([method, path, 405, allow, 'not-supported']);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    expect(store.get(UID)?.versionId).toBe(1);
  });

  it('answers 406 for an Accept or _format it cannot produce, on every FHIR route', async () => {
    store.put(makeStudy({ uid: UID }));
    for (const path of [`/ImagingStudy/${UID}`, '/ImagingStudy?_count=1', `/ImagingStudy/${UID}/_history`, `/ImagingStudy/${UID}/_history/1`, '/metadata']) {
      const xml = await call(path, { headers: { accept: 'application/fhir+xml' } });
      expect([path, xml.status, xml.headers.get('content-type'), xml.headers.get('x-content-type-options')]).toEqual([path, 406, 'application/fhir+json; charset=utf-8', 'nosniff']);
      const format = await call(`${path}${path.includes('?') ? '&' : '?'}_format=xml`);
      expect([path, format.status]).toEqual([path, 406]);
      const json = await call(path, { headers: { accept: 'application/fhir+json' } });
      expect([path, json.status]).toEqual([path, 200]);
    }
  });

  it('sends Cache-Control: no-store and nosniff with errors too', async () => {
    for (const [path, status] of [['/ImagingStudy/1.2.3', 404], ['/ImagingStudy?foo=1', 400], ['/Patient', 404]] as const) {
      const answer = await call(path);
      expect([path, answer.status, answer.headers.get('cache-control'), answer.headers.get('x-content-type-options')]).toEqual([path, status, 'no-store', 'nosniff']);
    }
    const unauthorized = await fetch(`${url}/ImagingStudy?_count=1`);
    expect([unauthorized.status, unauthorized.headers.get('cache-control')]).toEqual([401, 'no-store']);
  });
});
