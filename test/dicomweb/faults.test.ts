import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDicomWebClient, DicomWebError, fetchStudyMetadata, searchStudies } from '../../src/dicomweb/index.js';
import { freePort } from '../support/orthanc.js';

const BASE = 'http://pacs.invalid:8042/dicom-web';
const UID = '1.2.840.113619.2.55.3';

/** Server faults a real Orthanc cannot be made to produce on demand; xhr2 needs a Content-Length. */
describe('DICOMweb source faults', () => {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    nock.cleanAll();
  });

  it('throws a DicomWebError with the status for an HTTP 500, without the body', async () => {
    const body = 'internal failure for patient DOE^JOHN';
    nock('http://pacs.invalid:8042')
      .get(`/dicom-web/studies/${UID}/metadata`)
      .reply(500, body, { 'Content-Length': String(Buffer.byteLength(body)) });
    const error = await fetchStudyMetadata(createDicomWebClient({ baseUrl: BASE }), UID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DicomWebError);
    expect(error).toMatchObject({ failure: 'http', status: 500, url: `${BASE}/studies/${UID}/metadata` });
    expect((error as Error).message).toBe(`WADO-RS study metadata failed: ${BASE}/studies/${UID}/metadata answered HTTP 500`);
    expect((error as Error).message).not.toContain('DOE');
    // Nothing reachable from the error (as a logger would serialize it) holds the body.
    expect((error as Error).cause).toBeUndefined();
    expect(JSON.stringify(error)).not.toContain('DOE');
  });

  it('throws a timeout DicomWebError when the server sends nothing within timeoutMs', async () => {
    // A real server that accepts and never answers: nock 14's delay() does not fire the socket
    // timeout xhr2 relies on, so it cannot stand in for a hung server.
    const sockets = new Set<Socket>();
    const server = createServer(() => undefined);
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}/dicom-web`;
    try {
      const started = Date.now();
      const error = await fetchStudyMetadata(createDicomWebClient({ baseUrl: base, timeoutMs: 300 }), UID).catch(
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error).toBeInstanceOf(DicomWebError);
      expect(error).toMatchObject({ failure: 'timeout', status: undefined });
      expect((error as Error).message).toBe(
        `WADO-RS study metadata failed: no answer from ${base}/studies/${UID}/metadata within 300 ms`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('throws an invalid-response DicomWebError for a 200 whose body is not a JSON array of datasets', async () => {
    for (const body of ['<html>proxy login</html>', '{"error":"x"}', '[1,2]']) {
      nock('http://pacs.invalid:8042')
        .get(`/dicom-web/studies/${UID}/metadata`)
        .reply(200, body, { 'Content-Length': String(Buffer.byteLength(body)), 'Content-Type': 'application/dicom+json' });
      const error = await fetchStudyMetadata(createDicomWebClient({ baseUrl: BASE }), UID).catch((e: unknown) => e);
      expect(error).toMatchObject({ failure: 'invalid-response' });
    }
  });

  it('throws a network DicomWebError when nothing listens on the port', async () => {
    const port = await freePort();
    const error = await fetchStudyMetadata(createDicomWebClient({ baseUrl: `http://127.0.0.1:${port}/dicom-web` }), UID).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DicomWebError);
    expect(error).toMatchObject({ failure: 'network', status: undefined });
  });

  it('treats a QIDO-RS 204 No Content as no match', async () => {
    nock('http://pacs.invalid:8042').get('/dicom-web/studies').query(true).reply(204, '', { 'Content-Length': '0' });
    expect(await searchStudies(createDicomWebClient({ baseUrl: BASE }))).toEqual([]);
  });

  it('stops paging when a server ignores offset and repeats the same page', async () => {
    const page = JSON.stringify([
      { '0020000D': { vr: 'UI', Value: ['1.2.3'] } },
      { '0020000D': { vr: 'UI', Value: ['1.2.4'] } },
    ]);
    const scope = nock('http://pacs.invalid:8042')
      .get('/dicom-web/studies')
      .query(true)
      .times(2)
      .reply(200, page, { 'Content-Length': String(Buffer.byteLength(page)), 'Content-Type': 'application/dicom+json' });
    expect(await searchStudies(createDicomWebClient({ baseUrl: BASE }), { limit: 2 })).toEqual(['1.2.3', '1.2.4']);
    expect(scope.isDone()).toBe(true);
  });

  it('counts QIDO-RS results without a valid Study Instance UID instead of dropping them silently', async () => {
    const page = JSON.stringify([
      { '0020000D': { vr: 'UI', Value: ['1.2.3'] } },
      { '0020000D': { vr: 'UI', Value: ['../etc'] } },
      { '00100010': { vr: 'PN' } },
    ]);
    nock('http://pacs.invalid:8042')
      .get('/dicom-web/studies')
      .query({ offset: '0', limit: '100', includefield: '0020000D' })
      .reply(200, page, { 'Content-Length': String(Buffer.byteLength(page)), 'Content-Type': 'application/dicom+json' });
    const { searchStudyPage } = await import('../../src/dicomweb/index.js');
    expect(await searchStudyPage(createDicomWebClient({ baseUrl: BASE }))).toEqual({
      studyInstanceUids: ['1.2.3'],
      invalid: 2,
    });
  });
});
