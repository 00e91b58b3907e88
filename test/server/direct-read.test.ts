import { createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImagingStudy, OperationOutcome } from 'fhir/r4';
import { apiDeps, logLines, makeStudy, RecordingSync, tempStore } from '../support/server-fixtures.js';
import type { BridgeStore } from '../../src/bridge/store/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createHttpApp, type HttpAppDeps } from '../../src/server/express.js';
import { createHttpListener } from '../../src/server/listener.js';

const API_TOKEN = 'api-token-0123456789abcdef';
const UID = '1.2.826.0.1.3680043.8.498.21';
const bearer = { authorization: `Bearer ${API_TOKEN}` };
/** Headers that differ between two answers for reasons other than the content. */
const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive']);

let store: BridgeStore;
let servers: Server[] = [];
let lines: Array<Record<string, unknown>>;
/** Calls of the parsing `store.get`, which only the routed read makes. */
let parsedReads: number;

beforeEach(() => {
  store = tempStore();
  store.put(makeStudy({ uid: UID, accession: 'ACC-21' }));
  servers = [];
  parsedReads = 0;
});

afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  store.close();
});

async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function deps(overrides: Partial<HttpAppDeps> = {}): HttpAppDeps {
  const log = logLines();
  lines = log.lines;
  const counted: BridgeStore = {
    ...store,
    get(id) {
      parsedReads += 1;
      return store.get(id);
    },
  };
  return apiDeps(counted, {
    sync: new RecordingSync(store),
    apiToken: API_TOKEN,
    logger: createLogger({ level: 'info', destination: log.destination }),
    ...overrides,
  });
}

/** The bridge's listener (direct read first) and the routed Express app alone, on the same store. */
async function startBoth(overrides: Partial<HttpAppDeps> = {}): Promise<{ direct: string; routed: string }> {
  const shared = deps(overrides);
  return { direct: await listen(createHttpListener(shared)), routed: await listen(createHttpApp(shared)) };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Ask {
  method?: string;
  headers?: Record<string, string>;
}

/** One request through `node:http`, which (unlike fetch) adds no header of its own such as `Cache-Control`. */
function answer(url: string, { method = 'GET', headers = {} }: Ask = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const kept: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (!PER_CONNECTION.has(name) && value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: res.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

interface DirectAnswer extends Answer {
  /** Parsing reads (`store.get`) made while the direct listener answered: 0 when it answered itself. */
  parsed: number;
}

/** What the direct listener answers, after checking the routed app answers exactly the same. */
async function sameAnswer(urls: { direct: string; routed: string }, path: string, ask: Ask = {}): Promise<DirectAnswer> {
  const routed = await answer(`${urls.routed}${path}`, ask);
  const before = parsedReads;
  const direct = await answer(`${urls.direct}${path}`, ask);
  expect(direct).toEqual(routed);
  return { ...direct, parsed: parsedReads - before };
}

describe('direct read of GET /ImagingStudy/{id}', () => {
  it('sends the same status, headers and bytes as the routed read, without parsing the study', async () => {
    const urls = await startBoth();
    const ok = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: bearer });
    expect(ok.status).toBe(200);
    expect(ok.headers).toEqual({
      etag: 'W/"1"',
      'last-modified': new Date(store.get(UID)?.lastUpdated ?? '').toUTCString(),
      'content-type': 'application/fhir+json; charset=utf-8',
      'content-length': String(Buffer.byteLength(ok.body)),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(ok.body).toBe(JSON.stringify(store.get(UID)?.resource));
    expect((JSON.parse(ok.body) as ImagingStudy).meta?.versionId).toBe('1');
    expect(ok.parsed).toBe(0);
    const again = await sameAnswer(urls, `/ImagingStudy/${UID}?_format=application/fhir%2Bjson`, { headers: bearer });
    expect([again.status, again.body, again.parsed]).toEqual([200, ok.body, 0]);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const urls = await startBoth();
    const head = await sameAnswer(urls, `/ImagingStudy/${UID}`, { method: 'HEAD', headers: bearer });
    expect([head.status, head.body, head.headers['content-length'], head.parsed]).toEqual([
      200,
      '',
      String(Buffer.byteLength(JSON.stringify(store.get(UID)?.resource))),
      0,
    ]);
  });

  it('answers 304 for a matching If-None-Match, and If-Modified-Since alone as the router does', async () => {
    const urls = await startBoth();
    for (const tag of ['W/"1"', '"1"', '*', 'W/"7", W/"1"']) {
      const notModified = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, 'if-none-match': tag } });
      expect([notModified.status, notModified.body, notModified.headers.etag, notModified.parsed]).toEqual([304, '', 'W/"1"', 0]);
    }
    const changed = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, 'if-none-match': 'W/"7"' } });
    expect([changed.status, changed.parsed]).toEqual([200, 0]);
    const later = new Date(Date.now() + 60_000).toUTCString();
    const sinceLater = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, 'if-modified-since': later } });
    expect(sinceLater.status).toBe(304);
    const sinceEarlier = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, 'if-modified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' } });
    expect(sinceEarlier.status).toBe(200);
  });

  it('leaves a missing or wrong token to the router: 401 with a Bearer challenge', async () => {
    const urls = await startBoth();
    const attempts: Array<[Record<string, string>, string]> = [
      [{}, 'Bearer realm="dicom2fhir"'],
      [{ authorization: 'Bearer wrong' }, 'Bearer realm="dicom2fhir", error="invalid_token", error_description="The bearer token is not valid"'],
      [{ authorization: API_TOKEN }, 'Bearer realm="dicom2fhir", error="invalid_token", error_description="The Authorization header must be \'Bearer <token>\'"'],
    ];
    for (const [headers, challenge] of attempts) {
      const refused = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers });
      const outcome = JSON.parse(refused.body) as OperationOutcome;
      expect([refused.status, refused.headers['www-authenticate'], outcome.issue[0]?.code]).toEqual([401, challenge, 'login']);
    }
  });

  it('serves without a token when no API token is configured', async () => {
    const urls = await startBoth({ apiToken: undefined });
    const ok = await sameAnswer(urls, `/ImagingStudy/${UID}`);
    expect([ok.status, ok.parsed]).toEqual([200, 0]);
  });

  it('leaves 410 for a deleted study, 404 for an unknown one, 400 for a malformed id and 406 for a non-JSON _format or Accept to the router', async () => {
    const urls = await startBoth();
    store.put(makeStudy({ uid: '1.2.3.4' }));
    store.markDeleted('1.2.3.4');
    const cases: Array<[string, number, string]> = [
      ['/ImagingStudy/1.2.3.4', 410, 'deleted'],
      ['/ImagingStudy/unknown-id', 404, 'not-found'],
      ['/ImagingStudy/9.8.7.6', 404, 'not-found'],
      ['/ImagingStudy/bad_id', 400, 'invalid'],
      [`/ImagingStudy/${'1'.repeat(65)}`, 400, 'invalid'],
      [`/ImagingStudy/${UID}?_format=xml`, 406, 'not-supported'],
      [`/ImagingStudy/${UID}?_format=application/fhir%2Bxml`, 406, 'not-supported'],
    ];
    for (const [path, status, code] of cases) {
      const refused = await sameAnswer(urls, path, { headers: bearer });
      const outcome = JSON.parse(refused.body) as OperationOutcome;
      expect([path, refused.status, outcome.resourceType, outcome.issue[0]?.code]).toEqual([path, status, 'OperationOutcome', code]);
    }
  });

  it('leaves an Accept without JSON to the router (406) and serves one that admits JSON, both with the PHI headers', async () => {
    const urls = await startBoth();
    const xml = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, accept: 'application/fhir+xml' } });
    expect([xml.status, (JSON.parse(xml.body) as OperationOutcome).issue[0]?.code, xml.headers['cache-control'], xml.headers['x-content-type-options']]).toEqual([
      406,
      'not-supported',
      'no-store',
      'nosniff',
    ]);
    for (const accept of ['application/fhir+json', 'application/fhir+xml;q=0.9, application/json;q=0.5', '*/*', 'text/html,application/xhtml+xml,*/*;q=0.8']) {
      const ok = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, accept } });
      expect([accept, ok.status, ok.parsed, ok.headers['cache-control']]).toEqual([accept, 200, 0, 'no-store']);
    }
    const overridden = await sameAnswer(urls, `/ImagingStudy/${UID}?_format=json`, { headers: { ...bearer, accept: 'application/fhir+xml' } });
    expect([overridden.status, overridden.parsed]).toEqual([200, 0]);
    const refused = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, accept: 'application/fhir+json;q=0' } });
    expect(refused.status).toBe(406);
    const notModified = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, 'if-none-match': 'W/"1"' } });
    expect([notModified.status, notModified.headers['cache-control'], notModified.headers['x-content-type-options']]).toEqual([304, 'no-store', 'nosniff']);
  });

  it('serves the new version after an update and 410 after a deletion, never a cached older one', async () => {
    const urls = await startBoth();
    const first = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: bearer });
    expect(first.headers.etag).toBe('W/"1"');
    store.put(makeStudy({ uid: UID, accession: 'ACC-21', modality: ['MR'] }));
    const second = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: bearer });
    expect([second.status, second.headers.etag, (JSON.parse(second.body) as ImagingStudy).modality?.[0]?.code]).toEqual([200, 'W/"2"', 'MR']);
    const stale = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: { ...bearer, 'if-none-match': 'W/"1"' } });
    expect(stale.status).toBe(200);
    store.markDeleted(UID);
    expect((await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: bearer })).status).toBe(410);
    store.put(makeStudy({ uid: UID, accession: 'ACC-21' }));
    const back = await sameAnswer(urls, `/ImagingStudy/${UID}`, { headers: bearer });
    expect([back.status, back.headers.etag, back.parsed]).toEqual([200, 'W/"4"', 0]);
  });

  it('answers a store failure with the router: 500 OperationOutcome, logged by both', async () => {
    const failing = (): never => {
      throw new Error('SQLITE_IOERR: disk I/O error');
    };
    const { direct } = await startBoth({ store: { ...store, get: failing, getJson: failing, getVersion: failing } });
    const failed = await answer(`${direct}/ImagingStudy/${UID}`, { headers: bearer });
    const outcome = JSON.parse(failed.body) as OperationOutcome;
    expect([failed.status, failed.headers['content-type'], outcome.issue[0]?.code, outcome.issue[0]?.details?.text]).toEqual([
      500,
      'application/fhir+json; charset=utf-8',
      'exception',
      'Internal server error',
    ]);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors.map((line) => line.msg)).toEqual(['direct read failed; left to the router', 'request failed']);
    expect(errors[0]).toMatchObject({ path: `/ImagingStudy/${UID}`, error: 'Error: SQLITE_IOERR: disk I/O error' });
  });

  it('still answers when only the direct read fails: the router reads the study again', async () => {
    const failing = (): never => {
      throw new Error('SQLITE_BUSY: database is locked');
    };
    const { direct } = await startBoth({ store: { ...store, getJson: failing, getVersion: failing } });
    const ok = await answer(`${direct}/ImagingStudy/${UID}`, { headers: bearer });
    expect([ok.status, ok.body]).toEqual([200, JSON.stringify(store.get(UID)?.resource)]);
    expect(lines.filter((line) => line.level === 50).map((line) => line.msg)).toEqual(['direct read failed; left to the router']);
  });

  it('logs one request line per answer, with the path but not the query string', async () => {
    const { direct } = await startBoth();
    await answer(`${direct}/ImagingStudy/${UID}?_format=json`, { headers: bearer });
    await answer(`${direct}/ImagingStudy/${UID}`, { headers: { ...bearer, 'if-none-match': 'W/"1"' } });
    await answer(`${direct}/ImagingStudy/9.9.9?_format=json`, { headers: bearer });
    const requests = lines.filter((line) => line.msg === 'request');
    expect(requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'GET', path: `/ImagingStudy/${UID}`, status: 200 },
      { method: 'GET', path: `/ImagingStudy/${UID}`, status: 304 },
      { method: 'GET', path: '/ImagingStudy/9.9.9', status: 404 },
    ]);
    for (const line of requests) expect(typeof line.ms).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('_format');
  });
});
