import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Bundle, Endpoint, ImagingStudy } from 'fhir/r5';
import type { ImagingStudy as ImagingStudyR4 } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertStudy } from '../../src/convert/index.js';
import { createDicomWebClient, fetchStudyMetadata } from '../../src/dicomweb/index.js';
import { assertBuilt, runCli } from '../cli/run-cli.js';
import { freePort, startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const SAMPLE_DIR = resolve(import.meta.dirname, '../../samples/ct-study');
const SAMPLE_STUDY_UID = '2.25.220659974204822469186898064973270962049';
const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const CT_STUDY_UID = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const USER = ['--username', 'bridge', '--password', 'pw-123'];

describe('dicom2fhir fetch', () => {
  let orthanc: OrthancHandle;
  let out: string;

  beforeAll(async () => {
    assertBuilt();
    orthanc = await startOrthanc({ username: 'bridge', password: 'pw-123' });
    await orthanc.upload([...readdirSync(SAMPLE_DIR).map((f) => join(SAMPLE_DIR, f)), CT]);
    out = mkdtempSync(join(tmpdir(), 'dicom2fhir-fetch-'));
  });
  afterAll(async () => {
    await orthanc?.stop();
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
  });

  it('writes the same ImagingStudy as the library converter, with the DICOMweb endpoint, and a summary on stderr', async () => {
    const result = await runCli(['fetch', SAMPLE_STUDY_UID, '--url', orthanc.dicomWebUrl, ...USER]);
    expect(result.stderr).toBe(`6 instances in 2 series from ${orthanc.dicomWebUrl}\n`);
    expect(result.code).toBe(0);
    const study = JSON.parse(result.stdout) as ImagingStudyR4;
    const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl, username: 'bridge', password: 'pw-123' });
    const expected = convertStudy((await fetchStudyMetadata(client, SAMPLE_STUDY_UID)) ?? [], {
      endpoint: { kind: 'dicomweb', baseUrl: orthanc.dicomWebUrl },
    });
    expect(study).toEqual(expected.resource);
    expect(study.id).toBe(SAMPLE_STUDY_UID);
    expect(study.numberOfInstances).toBe(6);
    expect(JSON.stringify(study)).toContain(`"address":"${orthanc.dicomWebUrl}"`);
  });

  it('applies the output options (R5 transaction Bundle to --out) and reads the password from the environment', async () => {
    const file = join(out, 'bundle.json');
    // The password comes from the environment, which keeps it out of the process list.
    const withUser = await runCli(
      ['fetch', SAMPLE_STUDY_UID, '--url', `${orthanc.dicomWebUrl}/`, '--username', 'bridge', '--fhir-version', 'R5', '--format', 'bundle', '--no-instances', '--out', file],
      { DICOM2FHIR_DICOMWEB_PASSWORD: 'pw-123' },
    );
    expect(withUser.code).toBe(0);
    expect(withUser.stdout).toBe('');
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
    expect(bundle.type).toBe('transaction');
    const study = bundle.entry?.find((e) => e.resource?.resourceType === 'ImagingStudy')?.resource as ImagingStudy;
    expect(study.numberOfInstances).toBe(6);
    expect(study.series?.every((s) => s.instance === undefined)).toBe(true);
    const endpoint = bundle.entry?.find((e) => e.resource?.resourceType === 'Endpoint')?.resource as Endpoint;
    expect(endpoint.address).toBe(orthanc.dicomWebUrl);
  });

  it('exits 2 when the study is not on the server', async () => {
    const result = await runCli(['fetch', '1.2.3.4.5.6.7.8', '--url', orthanc.dicomWebUrl, ...USER]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`study 1.2.3.4.5.6.7.8 not found at ${orthanc.dicomWebUrl}`);
  });

  it('exits 2 for an invalid UID without contacting the server', async () => {
    const port = await freePort();
    const result = await runCli(['fetch', '1.2.3/../../instances', '--url', `http://127.0.0.1:${port}/dicom-web`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not a valid DICOM UID');
  });

  it('exits 2 when the server refuses the credentials', async () => {
    const result = await runCli(['fetch', CT_STUDY_UID, '--url', orthanc.dicomWebUrl, '--username', 'bridge', '--password', 'wrong']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('answered HTTP 401');
    expect(result.stderr).toContain('refused the credentials');
  });

  it('exits 2 for bad or missing options', async () => {
    for (const args of [
      ['fetch', CT_STUDY_UID],
      ['fetch', '--url', orthanc.dicomWebUrl],
      ['fetch', CT_STUDY_UID, '--url', 'ftp://host/dicom-web'],
      ['fetch', CT_STUDY_UID, '--url', orthanc.dicomWebUrl, '--format', 'xml'],
      ['fetch', CT_STUDY_UID, '--url', orthanc.dicomWebUrl, '--timeout', '0'],
      ['fetch', CT_STUDY_UID, '--url', orthanc.dicomWebUrl, '--password', 'x'],
      ['fetch', CT_STUDY_UID, '--url', orthanc.dicomWebUrl, ...USER, '--token', 't'],
      ['fetch', CT_STUDY_UID, '--url', orthanc.dicomWebUrl, '--bogus'],
    ]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(/^dicom2fhir fetch: /);
    }
  });

  it('exits 1 with one paragraph and no stack trace when the server is down', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/dicom-web`;
    const result = await runCli(['fetch', CT_STUDY_UID, '--url', url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `dicom2fhir fetch: QIDO-RS series search failed: cannot reach ${url}/studies/${CT_STUDY_UID}/series?offset=0&limit=1000&includefield=0020000E (connection refused, reset or name not resolved). Check that the server is running and that --url is right.\n`,
    );
  });

  it('never writes patient data to stderr', async () => {
    const result = await runCli(['fetch', CT_STUDY_UID, '--url', orthanc.dicomWebUrl, ...USER]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('CompressedSamples');
    expect(result.stderr).not.toContain('CompressedSamples');
    expect(result.stderr).not.toContain('1CT1');
  });

  it('prints its help and exits 0', async () => {
    const result = await runCli(['fetch', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: dicom2fhir fetch <StudyInstanceUID> --url <DICOMweb base URL>');
    expect(result.stdout).toContain('--fhir-version');
  });
});
