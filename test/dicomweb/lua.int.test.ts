import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const CT = `${TEST_FILES}/CT_small.dcm`;
const MR = `${TEST_FILES}/MR_small.dcm`;
const CT_STUDY_UID = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const SCRIPT = resolve(import.meta.dirname, '../../orthanc/dicom2fhir.lua');
const SECRET = 'webhook-secret-for-tests';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A loopback HTTP receiver standing in for the bridge: records every request, answers 204. */
function startReceiver(port: number): Promise<{ server: Server; requests: Received[] }> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: JSON.parse(text) });
      res.statusCode = 204;
      res.end();
    });
  });
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done({ server, requests })));
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Orthanc Lua webhook script', () => {
  let orthanc: OrthancHandle;
  let receiver: { server: Server; requests: Received[] } | undefined;
  let receiverPort: number;

  beforeAll(async () => {
    receiverPort = await freePort();
    receiver = await startReceiver(receiverPort);
    orthanc = await startOrthanc({
      luaScripts: [SCRIPT],
      stableAgeSeconds: 1,
      env: {
        DICOM2FHIR_URL: `http://127.0.0.1:${receiverPort}/`,
        DICOM2FHIR_WEBHOOK_SECRET: SECRET,
      },
    });
  });
  afterEach(async () => {
    if (receiver === undefined) {
      receiver = await startReceiver(receiverPort);
    }
  });
  afterAll(async () => {
    await orthanc?.stop();
    await new Promise((r) => receiver?.server.close(r));
  });

  it('posts the Orthanc id and Study Instance UID with the bearer secret once the study is stable', async () => {
    const [studyId] = await orthanc.upload([CT]);
    const post = await waitFor(() => receiver?.requests.find((r) => r.path === '/orthanc/stable-study'), 20_000);
    expect(post.method).toBe('POST');
    expect(post.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.body).toEqual({ ID: studyId, StudyInstanceUID: CT_STUDY_UID });
  });

  it('posts the Orthanc id of a deleted study', async () => {
    const [studyId] = await orthanc.upload([MR]);
    await waitFor(
      () => receiver?.requests.find((r) => r.path === '/orthanc/stable-study' && (r.body as { ID: string }).ID === studyId),
      20_000,
    );
    const res = await fetch(`${orthanc.url}/studies/${studyId}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const post = await waitFor(() => receiver?.requests.find((r) => r.path === '/orthanc/deleted-study'), 10_000);
    expect(post.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(post.body).toEqual({ ID: studyId });
  });

  it('keeps Orthanc working when the receiver is down', async () => {
    const current = receiver;
    receiver = undefined;
    await new Promise((r) => current?.server.close(r));
    current?.server.closeAllConnections();

    const [studyId] = await orthanc.upload([MR]);
    // Wait past StableAge so the failing post has run.
    await waitFor(() => (orthanc.log().includes(`POST /orthanc/stable-study failed for Orthanc study ${studyId}`) ? true : undefined), 20_000);
    const system = await fetch(`${orthanc.url}/system`);
    expect(system.status).toBe(200);
    expect(((await system.json()) as { Name: string }).Name).toBe('DICOM2FHIR-TEST');
    const again = await orthanc.upload([CT]);
    expect(again).toHaveLength(1);
    const studies = (await (await fetch(`${orthanc.url}/studies`)).json()) as string[];
    expect(studies).toContain(studyId);
    expect(orthanc.log()).not.toContain('CompressedSamples');
  });
});

describe('Orthanc Lua webhook script without DICOM2FHIR_URL', () => {
  it('posts nothing and logs no failure', async () => {
    const port = await freePort();
    const receiver = await startReceiver(port);
    const orthanc = await startOrthanc({ luaScripts: [SCRIPT], stableAgeSeconds: 1 });
    try {
      const [studyId] = await orthanc.upload([CT]);
      // The study's stable event has fired once /studies/{id} reports IsStable.
      const deadline = Date.now() + 15_000;
      let stable = false;
      while (!stable && Date.now() < deadline) {
        const info = (await (await fetch(`${orthanc.url}/studies/${studyId}`)).json()) as { IsStable: boolean };
        stable = info.IsStable;
        if (!stable) await new Promise((r) => setTimeout(r, 200));
      }
      expect(stable).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.requests).toHaveLength(0);
      expect(orthanc.log()).not.toContain('dicom2fhir: POST');
    } finally {
      await orthanc.stop();
      await new Promise((r) => receiver.server.close(r));
    }
  });
});
