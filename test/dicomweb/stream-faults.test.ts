/**
 * Faults of the streamed metadata path, each with its own message: an answer that is not JSON,
 * JSON that is not datasets, a dataset too large, a body cut off (by the JSON or by the
 * connection), and a connection reset before the answer (retried once). nock serves the bodies;
 * a local server cuts connections, which nock cannot.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDicomWebClient, DicomWebError, fetchStudyDatasets } from '../../src/dicomweb/index.js';

const ORIGIN = 'http://pacs.invalid:8042';
const BASE = `${ORIGIN}/dicom-web`;
const UID = '1.2.840.113619.2.55.3';
const METADATA = `/dicom-web/studies/${UID}/metadata`;
const DATASET = { '0020000D': { vr: 'UI', Value: [UID] }, '00080018': { vr: 'UI', Value: ['1.2.3.4'] }, '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JOHN' }] } };

async function failureOf(promise: Promise<unknown>): Promise<DicomWebError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DicomWebError);
  return error as DicomWebError;
}

/** One study-level request (no series listing), as `dicom2fhir fetch` of a one-series study makes. */
const fetchWhole = (base = BASE, maxDatasetBytes?: number) =>
  fetchStudyDatasets(createDicomWebClient({ baseUrl: base }), UID, { seriesConcurrency: 1, ...(maxDatasetBytes === undefined ? {} : { maxDatasetBytes }) });

async function localServer(handler: (req: IncomingMessage, res: ServerResponse, count: number) => void): Promise<{ base: string; close: () => void; requests: () => number }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => handler(req, res, ++count));
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/dicom-web`,
    requests: () => count,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('streamed WADO-RS metadata faults', () => {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    nock.cleanAll();
  });

  it('says an answer is not JSON, naming its Content-Type and not quoting it', async () => {
    nock(ORIGIN).get(METADATA).reply(200, '<html>login for DOE^JOHN</html>', { 'Content-Type': 'text/html' });
    const error = await failureOf(fetchWhole());
    expect(error.failure).toBe('invalid-response');
    expect(error.message).toBe(`WADO-RS study metadata failed: ${BASE}/studies/${UID}/metadata did not answer with JSON (Content-Type text/html): the answer is not JSON (byte 0 is 0x3c)`);
    expect(JSON.stringify(error)).not.toContain('DOE');
  });

  it('says JSON is not an array of datasets', async () => {
    nock(ORIGIN).get(METADATA).reply(200, '{"error": "x"}', { 'Content-Type': 'application/json' });
    const error = await failureOf(fetchWhole());
    expect(error.failure).toBe('invalid-response');
    expect(error.message).toContain('did not answer with a JSON array of DICOM datasets: the answer is a JSON object');
  });

  it('says a dataset is too large, with the limit, before reading the rest', async () => {
    const body = JSON.stringify([DATASET, { ...DATASET, '00091001': { vr: 'LO', Value: ['x'.repeat(10_000)] } }]);
    nock(ORIGIN).get(METADATA).reply(200, body, { 'Content-Type': 'application/dicom+json' });
    const error = await failureOf(fetchWhole(BASE, 4096));
    expect(error.failure).toBe('too-large');
    expect(error.message).toContain('answered too large a dataset: dataset 2 is larger than 4096 bytes');
  });

  it('says the answer was cut off when the JSON array is not closed', async () => {
    const body = JSON.stringify([DATASET, DATASET]).slice(0, -30);
    nock(ORIGIN).get(METADATA).reply(200, body, { 'Content-Type': 'application/dicom+json' });
    const error = await failureOf(fetchWhole());
    expect(error.failure).toBe('truncated');
    expect(error.message).toMatch(/the answer of .* was cut off: the answer ended after \d+ bytes inside dataset 2, before the JSON array was closed \(1 complete datasets\)/);
  });

  it('says the connection closed mid-answer when the server stops sending', async () => {
    const server = await localServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/dicom+json', 'Content-Length': '100000' });
      res.write(`[${JSON.stringify(DATASET)},`);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const error = await failureOf(fetchWhole(server.base));
      expect(error.failure).toBe('truncated');
      expect(error.message).toMatch(/the connection to .* closed after \d+ bytes of the answer \(1 complete datasets\), before it was complete/);
    } finally {
      server.close();
    }
  });

  it('retries once when the server resets the connection before answering, and reads the answer', async () => {
    const server = await localServer((_req, res, count) => {
      if (count === 1) {
        res.socket?.destroy();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/dicom+json' });
      res.end(JSON.stringify([DATASET]));
    });
    try {
      const datasets = await fetchWhole(server.base);
      expect(datasets).toHaveLength(1);
      expect(server.requests()).toBe(2);
    } finally {
      server.close();
    }
  });

  it('gives up after the one retry with a network error', async () => {
    const server = await localServer((_req, res) => {
      res.socket?.destroy();
    });
    try {
      const error = await failureOf(fetchWhole(server.base));
      expect(error.failure).toBe('network');
      expect(server.requests()).toBe(2);
    } finally {
      server.close();
    }
  });

  it('waits answerTimeoutMs for an answer to start (a server building it), then timeoutMs between bytes', async () => {
    const server = await localServer((_req, res, count) => {
      // The first answer starts after 600 ms; the second stops sending after its first bytes.
      setTimeout(() => {
        res.writeHead(200, { 'Content-Type': 'application/dicom+json' });
        if (count === 1) res.end(JSON.stringify([DATASET]));
        else res.write('[');
      }, count === 1 ? 600 : 0);
    });
    try {
      const client = createDicomWebClient({ baseUrl: server.base, timeoutMs: 200, answerTimeoutMs: 5_000 });
      expect(await fetchStudyDatasets(client, UID, { seriesConcurrency: 1 })).toHaveLength(1);
      const error = await failureOf(fetchStudyDatasets(client, UID, { seriesConcurrency: 1 }));
      expect(error.failure).toBe('timeout');
      expect(error.message).toMatch(/sent nothing for 200 ms after 1 bytes \(0 complete datasets\)$/);
    } finally {
      server.close();
    }
  });

  it('gives up when no answer starts within answerTimeoutMs', async () => {
    const server = await localServer(() => undefined);
    try {
      const error = await failureOf(fetchStudyDatasets(createDicomWebClient({ baseUrl: server.base, timeoutMs: 100, answerTimeoutMs: 300 }), UID, { seriesConcurrency: 1 }));
      expect(error.failure).toBe('timeout');
      expect(error.message).toBe(`WADO-RS study metadata failed: no answer from ${server.base}/studies/${UID}/metadata within 300 ms`);
    } finally {
      server.close();
    }
  });

  it('keeps the HTTP status of an error answer, not its body', async () => {
    nock(ORIGIN).get(METADATA).reply(503, 'busy for DOE^JOHN');
    const error = await failureOf(fetchWhole());
    expect(error).toMatchObject({ failure: 'http', status: 503 });
    expect(error.message).toBe(`WADO-RS study metadata failed: ${BASE}/studies/${UID}/metadata answered HTTP 503`);
  });

  it('keeps only the converter elements of a streamed answer, and reads 204 as no datasets', async () => {
    nock(ORIGIN).get(METADATA).reply(200, JSON.stringify([DATASET]), { 'Content-Type': 'application/dicom+json' });
    const [dataset] = (await fetchWhole()) ?? [];
    expect(Object.keys(dataset ?? {})).toEqual(['0020000D', '00080018', '00100010']);
    nock(ORIGIN).get(METADATA).reply(204);
    expect(await fetchWhole()).toEqual([]);
  });

  it('falls back to one request for the study when the server cannot list series', async () => {
    nock(ORIGIN).get(`/dicom-web/studies/${UID}/series`).query(true).reply(501, '', { 'Content-Length': '0' });
    nock(ORIGIN).get(METADATA).reply(200, JSON.stringify([DATASET]), { 'Content-Type': 'application/dicom+json' });
    expect(await fetchStudyDatasets(createDicomWebClient({ baseUrl: BASE }), UID)).toHaveLength(1);
  });
});
