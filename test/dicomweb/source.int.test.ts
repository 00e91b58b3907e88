import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getString } from '../../src/dicom/dataset.js';
import { Tag } from '../../src/dicom/tags.js';
import {
  createDicomWebClient,
  DicomWebError,
  fetchStudyMetadata,
  InvalidUidError,
  searchStudies,
  searchStudyPage,
} from '../../src/dicomweb/index.js';
import { startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const CT = `${TEST_FILES}/CT_small.dcm`;
const MR = `${TEST_FILES}/MR_small.dcm`;
const CT_STUDY_UID = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const MR_STUDY_UID = '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457';
const SAMPLE_DIR = resolve(import.meta.dirname, '../../samples/ct-study');
const SAMPLE_FILES = readdirSync(SAMPLE_DIR).map((f) => resolve(SAMPLE_DIR, f));
const SAMPLE_STUDY_UID = '2.25.220659974204822469186898064973270962049';

describe('DICOMweb source against Orthanc', () => {
  let orthanc: OrthancHandle;

  beforeAll(async () => {
    orthanc = await startOrthanc({ username: 'reader', password: 'pw' });
    await orthanc.upload([CT, MR, ...SAMPLE_FILES]);
  });
  afterAll(async () => {
    await orthanc?.stop();
  });

  const client = () => createDicomWebClient({ baseUrl: `${orthanc.dicomWebUrl}/`, username: 'reader', password: 'pw' });

  it('returns one dataset per instance of the study, with its UIDs', async () => {
    const datasets = await fetchStudyMetadata(client(), SAMPLE_STUDY_UID);
    expect(datasets).toHaveLength(6);
    const studyUids = new Set(datasets?.map((ds) => getString(ds, Tag.StudyInstanceUID)));
    expect([...studyUids]).toEqual([SAMPLE_STUDY_UID]);
    const series = new Set(datasets?.map((ds) => getString(ds, Tag.SeriesInstanceUID)));
    expect(series.size).toBe(2);
    const sops = new Set(datasets?.map((ds) => getString(ds, Tag.SOPInstanceUID)));
    expect(sops.size).toBe(6);
  });

  it('returns the DICOM JSON model unchanged: PN as Alphabetic, IS and DS as numbers, sequences as datasets', async () => {
    const [ct] = (await fetchStudyMetadata(client(), CT_STUDY_UID)) ?? [];
    expect(ct?.['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'CompressedSamples^CT1' }] });
    expect(ct?.['00200013']).toEqual({ vr: 'IS', Value: [1] });
    expect(ct?.['00180050']).toEqual({ vr: 'DS', Value: [5] });
    expect(ct?.['00101002']?.Value).toHaveLength(2);
    // Empty elements come as { vr } without Value; the accessors treat them as absent.
    expect(ct?.['00080090']).toEqual({ vr: 'PN' });
    expect(ct?.['7FE00010']?.BulkDataURI).toMatch(new RegExp(`/dicom-web/studies/${CT_STUDY_UID}/series/`));
  });

  it('answers undefined for a study the server does not have', async () => {
    expect(await fetchStudyMetadata(client(), '1.2.3.4.5.6.7.8.9')).toBeUndefined();
  });

  it('reports refused credentials as an HTTP 401 DicomWebError', async () => {
    const anonymous = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl });
    const error = await fetchStudyMetadata(anonymous, CT_STUDY_UID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DicomWebError);
    expect(error).toMatchObject({ failure: 'http', status: 401 });
    expect((error as Error).message).toBe(
      `WADO-RS study metadata failed: ${orthanc.dicomWebUrl}/studies/${CT_STUDY_UID}/metadata answered HTTP 401`,
    );
  });

  it('finds every study with QIDO-RS, whatever the page size', async () => {
    const all = [CT_STUDY_UID, MR_STUDY_UID, SAMPLE_STUDY_UID].sort();
    expect((await searchStudies(client())).sort()).toEqual(all);
    expect((await searchStudies(client(), { limit: 1 })).sort()).toEqual(all);
    expect((await searchStudies(client(), { limit: 2, offset: 1 })).length).toBe(2);
  });

  it('pages QIDO-RS results with offset and limit', async () => {
    const first = await searchStudyPage(client(), { limit: 2 });
    const second = await searchStudyPage(client(), { limit: 2, offset: 2 });
    expect(first.studyInstanceUids).toHaveLength(2);
    expect(second.studyInstanceUids).toHaveLength(1);
    expect(new Set([...first.studyInstanceUids, ...second.studyInstanceUids]).size).toBe(3);
  });

  it('filters QIDO-RS by study date and date range', async () => {
    expect(await searchStudies(client(), { studyDate: '20240315' })).toEqual([SAMPLE_STUDY_UID]);
    expect((await searchStudies(client(), { studyDate: '20040101-20041231' })).sort()).toEqual(
      [CT_STUDY_UID, MR_STUDY_UID].sort(),
    );
    expect(await searchStudies(client(), { studyDate: '19000101-19001231' })).toEqual([]);
  });
});

describe('DICOMweb source request building', () => {
  it('rejects an invalid UID before sending any request', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.end('[]');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const client = createDicomWebClient({ baseUrl: `http://127.0.0.1:${port}/dicom-web` });
      for (const bad of ['../instances', '1.2.', '.1', '1..2', '1.2.3a', '', `1.${'2'.repeat(63)}`]) {
        await expect(fetchStudyMetadata(client, bad)).rejects.toBeInstanceOf(InvalidUidError);
      }
      expect(requests).toBe(0);
      expect(await fetchStudyMetadata(client, `1.${'2'.repeat(62)}`)).toEqual([]);
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  it('sends the bearer token and the DICOM JSON accept header to the metadata URL', async () => {
    const seen: Array<{ url: string | undefined; authorization: string | undefined; accept: string | undefined }> = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization, accept: req.headers.accept });
      const body = JSON.stringify([{ '0020000D': { vr: 'UI', Value: ['1.2.3'] } }]);
      res.writeHead(200, { 'Content-Type': 'application/dicom+json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const client = createDicomWebClient({ baseUrl: `http://127.0.0.1:${port}/pacs/dicom-web//`, bearerToken: 'tok-123' });
      expect(client.baseUrl).toBe(`http://127.0.0.1:${port}/pacs/dicom-web`);
      const datasets = await fetchStudyMetadata(client, '1.2.3');
      expect(datasets).toEqual([{ '0020000D': { vr: 'UI', Value: ['1.2.3'] } }]);
      expect(seen).toEqual([
        { url: '/pacs/dicom-web/studies/1.2.3/metadata', authorization: 'Bearer tok-123', accept: 'application/dicom+json' },
      ]);
    } finally {
      server.close();
    }
  });

  it('refuses inconsistent client options', () => {
    expect(() => createDicomWebClient({ baseUrl: 'ftp://x/dicom-web' })).toThrow(/http or https/);
    expect(() => createDicomWebClient({ baseUrl: 'not a url' })).toThrow(/not a valid URL/);
    expect(() => createDicomWebClient({ baseUrl: 'http://u:p@x/dicom-web' })).toThrow(/credentials/);
    expect(() => createDicomWebClient({ baseUrl: 'http://x', username: 'u' })).toThrow(/username and a password/);
    expect(() => createDicomWebClient({ baseUrl: 'http://x', username: 'u', password: 'p', bearerToken: 't' })).toThrow(
      /not both/,
    );
    expect(() => createDicomWebClient({ baseUrl: 'http://x', timeoutMs: 0 })).toThrow(/positive/);
  });
});
