/**
 * The bridge's HTTP server against hostile clients, over real sockets: oversized bodies, headers
 * and bodies dripped a byte at a time, and request text carrying control characters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OperationOutcome } from 'fhir/r4';
import { afterEach, describe, expect, it } from 'vitest';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import type { SyncResult, SyncService } from '../../src/bridge/types.js';
import { createLogger } from '../../src/logging/index.js';
import { CONNECTIONS_CHECKING_INTERVAL_MS, createHttpListener, createHttpServer, REQUEST_TIMEOUT_MS } from '../../src/server/index.js';
import { rawLogText } from '../support/server-fixtures.js';

const SECRET = 'webhook-secret-0123456789';
const ORTHANC_ID = '6b9e19d9-62094390-5f9ddb01-4a191ae7-9766b715';
/** C0, DEL and C1: what a terminal or a log viewer would obey. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** The longest a slow client may hold a request: the timeout, one check interval, and scheduling slack. */
const CUT_OFF_WITHIN_MS = REQUEST_TIMEOUT_MS + CONNECTIONS_CHECKING_INTERVAL_MS + 1_500;

let server: Server | undefined;
let store: BridgeStore | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  if (server !== undefined) {
    const closing = server;
    await new Promise<void>((resolve) => closing.close(() => resolve()));
    closing.closeAllConnections();
  }
  store?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  server = undefined;
  store = undefined;
  dataDir = undefined;
});

/** The bridge's listener on the bridge's server; the image source answers every study after `onDemandDelayMs` with "not found". */
async function start(onDemandDelayMs = 0): Promise<{ port: number; url: string; logs: string[]; enqueued: string[] }> {
  dataDir = mkdtempSync(join(tmpdir(), 'http-requests-'));
  const opened = openStudyStore(dataDir);
  store = opened;
  const enqueued: string[] = [];
  const sync: SyncService = {
    syncStudy: (uid) =>
      new Promise<SyncResult>((resolve) => setTimeout(() => resolve({ studyInstanceUid: uid, outcome: 'not-found' }), onDemandDelayMs)),
    enqueue: (uid) => void enqueued.push(uid),
    deleteStudy: () => undefined,
    status: () => ({ queued: 0, inFlight: 0, failures: [] }),
    idle: async () => undefined,
    stop: async () => undefined,
  };
  const { text, destination } = rawLogText();
  const listener = createHttpListener({
    store: opened,
    sync,
    orthancStudies: { remember: (id, uid) => opened.mapOrthancStudyId(id, uid), lookup: (id) => opened.studyUidForOrthancId(id) },
    reconcileSoon: () => undefined,
    checkSource: async () => undefined,
    fhirVersion: 'R4',
    webhookSecret: SECRET,
    logger: createLogger({ level: 'info', destination }),
  });
  const started = createHttpServer(listener);
  server = started;
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  const { port } = started.address() as AddressInfo;
  return { port, url: `http://127.0.0.1:${port}`, logs: text, enqueued };
}

interface Dripped {
  /** Everything the server sent before it closed the connection. */
  response: string;
  /** Milliseconds from the first byte sent to the close. */
  heldMs: number;
}

/** Sends `head` at once, then `drip` one byte every `everyMs`, until the server closes the connection. */
function dripRequest(port: number, head: string, drip: string, everyMs: number): Promise<Dripped> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const startedAt = Date.now();
    socket.on('connect', () => {
      socket.write(head);
      let next = 0;
      timer = setInterval(() => {
        if (next < drip.length && socket.writable) socket.write(drip[next++] as string);
      }, everyMs);
    });
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ response: Buffer.concat(received).toString('latin1'), heldMs: Date.now() - startedAt });
    });
  });
}

describe('request bodies above the limit', () => {
  it('answers an oversized webhook body 413 with an OperationOutcome, and a body within the limit 202', async () => {
    const { url, enqueued } = await start();
    const post = (body: string) =>
      fetch(`${url}/orthanc/stable-study`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' }, body });
    const huge = await post(JSON.stringify({ ID: ORTHANC_ID, StudyInstanceUID: '1.2.3', padding: 'x'.repeat(20_000) }));
    expect(huge.status).toBe(413);
    const outcome = (await huge.json()) as OperationOutcome;
    expect(outcome.issue[0]).toMatchObject({ severity: 'error', code: 'too-long', details: { text: 'Request body larger than 16384 bytes' } });
    expect(enqueued).toEqual([]);
    const ok = await post(JSON.stringify({ ID: ORTHANC_ID, StudyInstanceUID: '1.2.3' }));
    expect(ok.status).toBe(202);
    expect(enqueued).toEqual(['1.2.3']);
  });

  it('answers an oversized search form 413, and a form within the limit 200', async () => {
    const { url } = await start();
    const search = (body: string) =>
      fetch(`${url}/ImagingStudy/_search`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const huge = await search(`modality=CT&_count=${'1'.repeat(20_000)}`);
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as OperationOutcome).issue[0]?.code).toBe('too-long');
    const ok = await search('modality=CT');
    expect(ok.status).toBe(200);
  });
});

describe('slow clients', () => {
  it(`cuts off a client dripping its webhook body or its headers within ${CUT_OFF_WITHIN_MS} ms, while a slow answer is not cut`, async () => {
    const slowAnswerMs = CUT_OFF_WITHIN_MS + 500;
    const { port, url } = await start(slowAnswerMs);
    const body = JSON.stringify({ ID: ORTHANC_ID, StudyInstanceUID: '1.2.3' });
    const bodyHead = [
      'POST /orthanc/stable-study HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${SECRET}`,
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      '',
      '',
    ].join('\r\n');
    const startedAt = Date.now();
    const [dripBody, dripHeaders, slowAnswer] = await Promise.all([
      dripRequest(port, bodyHead, body, 250),
      dripRequest(port, 'GET /metadata HTTP/1.1\r\n', 'Host: 127.0.0.1\r\nAccept: application/fhir+json\r\n\r\n', 250),
      fetch(`${url}/ImagingStudy/1.2.826.0.1.3680043.10.1011.77`).then((response) => ({ status: response.status, ms: Date.now() - startedAt })),
    ]);
    console.log(`slow clients held: dripped body ${dripBody.heldMs} ms, dripped headers ${dripHeaders.heldMs} ms`);
    for (const dripped of [dripBody, dripHeaders]) {
      expect(dripped.response).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(dripped.heldMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(dripped.heldMs).toBeLessThan(CUT_OFF_WITHIN_MS);
    }
    expect(slowAnswer.status).toBe(404);
    expect(slowAnswer.ms).toBeGreaterThanOrEqual(slowAnswerMs);
  });
});

describe('control characters in requests', () => {
  it('escapes them in OperationOutcomes and in the log', async () => {
    const { url, logs } = await start();
    const response = await fetch(`${url}/ImagingStudy?%01bad%1B%5B31m%C2%9B=1`, { headers: { prefer: 'handling=strict' } });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toMatch(CONTROL);
    expect(text).not.toMatch(/\\u00(0|1|7f|8|9)/i);
    const issue = ((JSON.parse(text) as OperationOutcome).issue[0])!;
    expect(issue.details?.text).toMatch(/^Unknown or unsupported search parameter \\x01bad\\x1b\[31m\\x9b for ImagingStudy /);
    expect(issue.expression).toEqual(['\\x01bad\\x1b[31m\\x9b']);
    const webhook = await fetch(`${url}/orthanc/stable-study`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ID: ORTHANC_ID, StudyInstanceUID: '1.2.\u00013\u009b' }),
    });
    expect(webhook.status).toBe(400);
    expect(await webhook.text()).not.toMatch(/\\u00(0|1|7f|8|9)|[\u0000-\u001f\u007f-\u009f]/i);
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(line.replace(/\n$/, '')).not.toMatch(CONTROL);
  });
});
