/**
 * The key contract between the two sources (STYLE lesson 2): for the same files, the folder
 * converter and WADO-RS metadata from Orthanc must give the same FHIR output, endpoint aside.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertStudy, type ConversionOutput, type ConvertOptions } from '../../src/convert/index.js';
import { createDicomWebClient, fetchStudyMetadata } from '../../src/dicomweb/index.js';
import { convertFolder } from '../../src/folder/index.js';
import { generateRichStudy, type RichStudyManifest } from '../support/generate/rich-study.js';
import { startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const SAMPLE_DIR = resolve(import.meta.dirname, '../../samples/ct-study');

interface Case {
  name: string;
  dir: string;
  studyInstanceUid: string;
  files: string[];
}

/** Drops what legitimately differs between the sources: the endpoint reference and Endpoint resources. */
function endpointAside(output: ConversionOutput): unknown {
  const copy = structuredClone(output) as unknown as Record<string, unknown>;
  const strip = (resource: Record<string, unknown>): void => {
    delete resource.endpoint;
    if (Array.isArray(resource.contained)) {
      const kept = (resource.contained as Array<{ resourceType: string }>).filter((r) => r.resourceType !== 'Endpoint');
      if (kept.length > 0) resource.contained = kept;
      else delete resource.contained;
    }
  };
  if (copy.resourceType === 'Bundle') {
    const entries = (copy.entry as Array<{ resource: Record<string, unknown> }>).filter(
      (e) => e.resource.resourceType !== 'Endpoint',
    );
    for (const entry of entries) strip(entry.resource);
    copy.entry = entries;
  } else {
    strip(copy);
  }
  return copy;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const OPTION_SETS: Array<[string, ConvertOptions]> = [
  ['R4 ImagingStudy', { fhirVersion: 'R4', format: 'imagingstudy' }],
  ['R5 ImagingStudy', { fhirVersion: 'R5', format: 'imagingstudy' }],
  ['R4 transaction Bundle', { fhirVersion: 'R4', format: 'bundle' }],
  ['R5 transaction Bundle with UUID ids and a time zone', { fhirVersion: 'R5', format: 'bundle', idStrategy: 'uuid', timezone: 'Europe/Berlin' }],
];

describe('folder and DICOMweb sources give the same FHIR output', () => {
  let orthanc: OrthancHandle;
  let work: string;
  const cases: Case[] = [];
  let rich: RichStudyManifest;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'dicom2fhir-contract-'));
    const single = (name: string, file: string, uid: string): Case => {
      const dir = join(work, name);
      cpSync(file, join(dir, 'image.dcm'), { recursive: true });
      return { name, dir, studyInstanceUid: uid, files: [join(dir, 'image.dcm')] };
    };
    cases.push(single('ct-small', `${TEST_FILES}/CT_small.dcm`, '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322'));
    cases.push(single('mr-small', `${TEST_FILES}/MR_small.dcm`, '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457'));
    cases.push(single('rtplan', `${TEST_FILES}/rtplan.dcm`, '1.22.333.4.555555.6.7777777777777777777777777777'));
    const sampleDir = join(work, 'sample');
    cpSync(SAMPLE_DIR, sampleDir, { recursive: true });
    cases.push({ name: 'two-series sample CT', dir: sampleDir, studyInstanceUid: '2.25.220659974204822469186898064973270962049', files: filesUnder(sampleDir) });
    rich = await generateRichStudy(join(work, 'rich'));
    cases.push({
      name: 'rich multi-modality study (codes, accession issuer, referrer, several encodings)',
      dir: rich.dir,
      studyInstanceUid: rich.studyInstanceUid,
      files: rich.dicomFiles.map((f) => join(rich.dir, f.path)),
    });

    orthanc = await startOrthanc();
    for (const c of cases) await orthanc.upload(c.files);
  });
  afterAll(async () => {
    await orthanc?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  for (const [label, options] of OPTION_SETS) {
    it(`for every test study as ${label}`, async () => {
      const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl });
      for (const c of cases) {
        const folder = await convertFolder(c.dir, options);
        expect(folder.outputs).toHaveLength(1);
        const datasets = await fetchStudyMetadata(client, c.studyInstanceUid);
        expect(datasets, c.name).toBeDefined();
        const web = convertStudy(datasets ?? [], { ...options, endpoint: { kind: 'dicomweb', baseUrl: client.baseUrl } });
        const fromFolder = folder.outputs[0];
        expect(web.numberOfInstances, c.name).toBe(fromFolder?.numberOfInstances);
        expect(web.numberOfSeries, c.name).toBe(fromFolder?.numberOfSeries);
        expect(endpointAside(web.resource), c.name).toEqual(endpointAside(fromFolder!.resource));
      }
    });
  }

  it('differs only in the endpoint: the folder names the directory, DICOMweb the WADO-RS base URL', async () => {
    const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl });
    const c = cases[0]!;
    const folder = await convertFolder(c.dir, { fhirVersion: 'R4' });
    const web = convertStudy((await fetchStudyMetadata(client, c.studyInstanceUid)) ?? [], {
      fhirVersion: 'R4',
      endpoint: { kind: 'dicomweb', baseUrl: client.baseUrl },
    });
    expect((folder.outputs[0]?.resource as { endpoint?: unknown }).endpoint).toBeUndefined();
    expect(JSON.stringify(web.resource)).toContain(`"address":"${orthanc.dicomWebUrl}"`);
    expect(web.resource).not.toEqual(folder.outputs[0]?.resource);
  });

  it('detects a difference in the study content (the comparison is not vacuous)', async () => {
    const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl });
    const folder = await convertFolder(rich.dir, { fhirVersion: 'R4' });
    const datasets = (await fetchStudyMetadata(client, rich.studyInstanceUid)) ?? [];
    const web = convertStudy(datasets, { fhirVersion: 'R4', endpoint: { kind: 'dicomweb', baseUrl: client.baseUrl } });
    expect(web.numberOfInstances).toBe(rich.expected.numberOfInstances);
    expect(web.numberOfSeries).toBe(rich.expected.numberOfSeries);
    expect(endpointAside(web.resource)).toEqual(endpointAside(folder.outputs[0]!.resource));
    for (const ds of datasets) delete ds['00081030'];
    const altered = convertStudy(datasets, { fhirVersion: 'R4', endpoint: { kind: 'dicomweb', baseUrl: client.baseUrl } });
    expect(endpointAside(altered.resource)).not.toEqual(endpointAside(folder.outputs[0]!.resource));
    expect((altered.resource as { description?: string }).description).toBeUndefined();
    expect((web.resource as { description?: string }).description).toBe(rich.expected.description);
  });
});
