/** The folder converter's Bundle form, posted to a real FHIR engine (SPEC §2 Bundle form, §4 Push). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, ImagingStudy, Patient, ServiceRequest } from 'fhir/r4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { convertFolder } from '../../src/folder/index.js';
import { postBundle } from '../../src/push/post-bundle.js';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';

const SAMPLE = 'samples/ct-study';
let server: FhirTestServer;
let dir: string;
let copies: CopiesManifest;

async function folderBundle(directory: string): Promise<Bundle> {
  const { outputs } = await convertFolder(directory, { format: 'bundle' });
  const [conversion] = outputs;
  if (conversion === undefined || conversion.resource.resourceType !== 'Bundle') {
    throw new Error(`no Bundle converted from ${directory}`);
  }
  return conversion.resource as Bundle;
}

beforeAll(async () => {
  server = await startFhirServer();
  dir = mkdtempSync(join(tmpdir(), 'push-folder-'));
  copies = await generateCopies(join(SAMPLE, 'IM1.dcm'), dir, { studies: 2, seriesPerStudy: 1, instancesPerSeries: 2, seed: 'push' });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.repository.clear();
});

describe('posting a converted folder', () => {
  it('twice leaves one ImagingStudy, one Patient and one ServiceRequest, updated in place', async () => {
    const bundle = await folderBundle(SAMPLE);
    const first = await postBundle(bundle, { url: server.baseUrl });
    const second = await postBundle(bundle, { url: server.baseUrl });

    const studies = await server.search<ImagingStudy>('ImagingStudy');
    const patients = await server.search<Patient>('Patient');
    const orders = await server.search<ServiceRequest>('ServiceRequest');
    expect(studies).toHaveLength(1);
    expect(patients).toHaveLength(1);
    expect(orders).toHaveLength(1);
    const studyLocation = (response: Bundle): string | undefined =>
      response.entry?.find((e) => e.response?.location?.startsWith('ImagingStudy/'))?.response?.location;
    expect(studyLocation(second)).toBe(studyLocation(first));
    expect(studyLocation(first)).toBe(`ImagingStudy/${studies[0]?.id}`);
    const study = studies[0] as ImagingStudy;
    expect(study.subject.reference).toBe(`Patient/${patients[0]?.id}`);
    expect(study.basedOn?.[0]?.reference).toBe(`ServiceRequest/${orders[0]?.id}`);
    expect(study.numberOfSeries).toBe(2);
    expect(study.numberOfInstances).toBe(6);
    expect(orders[0]?.subject.reference).toBe(`Patient/${patients[0]?.id}`);
  });

  it('of two studies of one patient gives one Patient referenced by both ImagingStudies', async () => {
    expect(copies.studies).toHaveLength(2);
    for (const study of copies.studies) {
      await postBundle(await folderBundle(study.directory), { url: server.baseUrl });
    }
    const studies = await server.search<ImagingStudy>('ImagingStudy');
    const patients = await server.search<Patient>('Patient');
    expect(patients).toHaveLength(1);
    expect(studies.map((s) => s.identifier?.[0]?.value).sort()).toEqual(copies.studies.map((s) => `urn:oid:${s.studyInstanceUid}`).sort());
    expect(studies.map((s) => s.subject.reference)).toEqual([`Patient/${patients[0]?.id}`, `Patient/${patients[0]?.id}`]);
  });
});
