import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bundle, CapabilityStatement, ImagingStudy, OperationOutcome } from 'fhir/r4';
import type { BridgeStore } from '../../src/bridge/store/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createHttpApp, type HttpAppDeps } from '../../src/server/index.js';
import { makeStudy, RecordingSync, tempStore } from '../support/server-fixtures.js';

const API_TOKEN = 'api-token-0123456789abcdef';
const SECRET = 'webhook-secret-0123456789';
const UID = '1.2.826.0.1.3680043.8.498.11';

let server: Server | undefined;
let store: BridgeStore;

afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
  store.close();
});

async function start(overrides: Partial<HttpAppDeps> = {}): Promise<{ url: string; lines: Array<Record<string, unknown>>; sync: RecordingSync }> {
  store = tempStore();
  store.put(makeStudy({ uid: UID, accession: 'ACC-SECRET-77' }));
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const sync = new RecordingSync(store);
  const app = createHttpApp({
    store,
    sync,
    orthancStudies: { remember: (id, uid) => store.mapOrthancStudyId(id, uid), lookup: (id) => store.studyUidForOrthancId(id) },
    reconcileSoon: () => undefined,
    checkSource: async () => undefined,
    fhirVersion: 'R4',
    apiToken: API_TOKEN,
    webhookSecret: SECRET,
    logger: createLogger({ level: 'info', destination }),
    ...overrides,
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines, sync };
}

const bearer = { authorization: `Bearer ${API_TOKEN}` };

describe('HTTP API', () => {
  it('serves a study as application/fhir+json with ETag and no x-powered-by', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/ImagingStudy/${UID}`, { headers: bearer });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    expect(response.headers.get('etag')).toBe('W/"1"');
    expect(response.headers.get('x-powered-by')).toBeNull();
    const study = (await response.json()) as ImagingStudy;
    expect([study.resourceType, study.id]).toEqual(['ImagingStudy', UID]);
  });

  it('answers 304 with an empty body for a matching If-None-Match', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/ImagingStudy/${UID}`, { headers: { ...bearer, 'if-none-match': 'W/"1"' } });
    expect(response.status).toBe(304);
    expect(await response.text()).toBe('');
  });

  it('requires the API token on ImagingStudy routes with a Bearer challenge, but not on /metadata', async () => {
    const { url } = await start();
    for (const path of [`/ImagingStudy/${UID}`, '/ImagingStudy?identifier=ACC-SECRET-77']) {
      const response = await fetch(`${url}${path}`, { headers: { authorization: 'Bearer nope' } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="dicom2fhir", error="invalid_token", error_description="The bearer token is not valid"');
      const outcome = (await response.json()) as OperationOutcome;
      expect([outcome.resourceType, outcome.issue[0]?.code]).toEqual(['OperationOutcome', 'login']);
    }
    const metadata = await fetch(`${url}/metadata`);
    const statement = (await metadata.json()) as CapabilityStatement;
    expect([metadata.status, statement.fhirVersion, statement.rest?.[0]?.security?.description]).toEqual([200, '4.0.1', expect.stringContaining('Bearer')]);
    expect(statement.rest?.[0]?.resource?.[0]?.searchParam?.map((p) => p.name)).toEqual([
      '_id', '_lastUpdated', 'identifier', 'status', 'started', 'modality', 'series', 'instance', 'dicom-class', 'bodysite', 'reason',
      'patient', 'subject', 'basedon', 'referrer', '_sort', '_count', '_offset', '_summary', '_elements', '_total',
    ]);
  });

  it('searches by accession number and logs the path without the query string', async () => {
    const { url, lines } = await start();
    const response = await fetch(`${url}/ImagingStudy?identifier=ACC-SECRET-77&_format=json`, { headers: bearer });
    const bundle = (await response.json()) as Bundle;
    expect([response.status, bundle.total, bundle.entry?.[0]?.fullUrl]).toEqual([200, 1, `${url}/ImagingStudy/${UID}`]);
    const request = lines.find((line) => line.msg === 'request');
    expect(request).toMatchObject({ method: 'GET', path: '/ImagingStudy', status: 200 });
    expect(JSON.stringify(lines)).not.toContain('ACC-SECRET-77');
  });

  it('refuses a non-JSON _format with 406', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/ImagingStudy/${UID}?_format=xml`, { headers: bearer });
    const outcome = (await response.json()) as OperationOutcome;
    expect([response.status, outcome.issue[0]?.code]).toEqual([406, 'not-supported']);
  });

  it('answers an unknown route with a 404 OperationOutcome', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/Patient/1`);
    const outcome = (await response.json()) as OperationOutcome;
    expect([response.status, outcome.issue[0]?.code]).toEqual([404, 'not-found']);
  });

  it('accepts a webhook with the secret and queues the study; refuses malformed and oversized bodies', async () => {
    const { url, sync } = await start();
    const post = (body: string, authorization = `Bearer ${SECRET}`) =>
      fetch(`${url}/orthanc/stable-study`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
    const ok = await post(JSON.stringify({ ID: '6b9e19d9-62094390-5f9ddb01-4a191ae7-9766b715', StudyInstanceUID: '1.2.3' }));
    expect(ok.status).toBe(202);
    expect(((await ok.json()) as OperationOutcome).issue[0]?.details?.text).toBe('Accepted');
    expect(sync.calls).toEqual([{ op: 'enqueue', uid: '1.2.3', reason: 'webhook' }]);
    const malformed = await post('{"ID":');
    expect([malformed.status, ((await malformed.json()) as OperationOutcome).issue[0]?.code]).toEqual([400, 'invalid']);
    const huge = await post(JSON.stringify({ ID: 'x'.repeat(20_000) }));
    expect(huge.status).toBe(413);
    const wrong = await post(JSON.stringify({ ID: '6b9e19d9-62094390-5f9ddb01-4a191ae7-9766b715', StudyInstanceUID: '1.2.3' }), 'Bearer wrong');
    expect(wrong.status).toBe(401);
    const unauthenticatedMalformed = await post('{"ID":', 'Bearer wrong');
    expect(unauthenticatedMalformed.status).toBe(401);
    expect(sync.calls).toHaveLength(1);
  });

  it('answers /readyz 503 with the failed check and /healthz 200 when the source is down', async () => {
    const { url } = await start({ checkSource: () => Promise.reject(new Error('connect ECONNREFUSED')) });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await ready.json()).toMatchObject({ status: 'not-ready', checks: { orthanc: { ok: false, error: 'connect ECONNREFUSED' } } });
    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
  });
});

describe('HTTP API without a webhook secret', () => {
  it('keeps the webhook routes closed with 503', async () => {
    const { url, sync } = await start({ webhookSecret: undefined });
    const response = await fetch(`${url}/orthanc/deleted-study`, { method: 'POST', body: '{}' });
    const outcome = (await response.json()) as OperationOutcome;
    expect([response.status, outcome.issue[0]?.details?.text]).toEqual([503, 'Webhooks are disabled: WEBHOOK_SECRET is not configured']);
    expect(sync.calls).toEqual([]);
  });
});

describe('logger', () => {
  it('redacts PHI fields that reach a log object by mistake', () => {
    const lines: string[] = [];
    const logger = createLogger({
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    });
    logger.info({ studyInstanceUid: '1.2.3', PatientName: 'DOE^JANE', study: { patientId: 'MRN123', birthDate: '1970-01-01' } }, 'stored');
    const line = lines.join('');
    expect(line).toContain('1.2.3');
    for (const phi of ['DOE^JANE', 'MRN123', '1970-01-01']) expect(line).not.toContain(phi);
  });
});
