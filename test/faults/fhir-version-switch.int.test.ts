/**
 * A store filled with FHIR_VERSION=R5, then served with FHIR_VERSION=R4: no R5 JSON is ever served
 * under the R4 CapabilityStatement — reads convert on demand, search leaves the R5 studies out —
 * and the background re-conversion brings every study to R4 by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, CapabilityStatement, ImagingStudy } from 'fhir/r4';
import { request, startBridgeProcess, type BridgeProcess } from '../support/bridge-process.js';
import { waitFor } from '../support/wait.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';
import { distinctFreePorts, startOrthanc, type OrthancHandle } from '../support/orthanc.js';
import { validateR4 } from '../support/fhir-validation.js';

const CT_SMALL = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

let work: string;
let orthanc: OrthancHandle;
let bridge: BridgeProcess | undefined;
let copies: CopiesManifest;
/** A free port no earlier bridge of this file listened on. */
const newPort = distinctFreePorts();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'd2f-fhir-switch-'));
  copies = await generateCopies(CT_SMALL, join(work, 'copies'), { studies: 3, seriesPerStudy: 1, instancesPerSeries: 1, seed: 'fhir-switch' });
  orthanc = await startOrthanc({ stableAgeSeconds: 1 });
  await orthanc.upload(copies.studies.map((study) => join(study.directory, 'series-0001', '000001.dcm')));
});

afterAll(async () => {
  await bridge?.stop();
  await orthanc?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function json<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await request(`${bridge?.url}${path}`);
  return { status: response.status, body: response.json<T>() };
}

/** R4 ImagingStudy.modality is a Coding; R5's is a CodeableConcept. */
function isR4(study: ImagingStudy): boolean {
  const modality = study.modality?.[0] as { system?: string; coding?: unknown } | undefined;
  return modality?.system !== undefined && modality.coding === undefined;
}

describe('FHIR_VERSION switched from R5 to R4', () => {
  it('never serves R5 under R4 and re-converts every stored study in the background', async () => {
    const env = { ORTHANC_URL: orthanc.url, DATA_DIR: join(work, 'data'), SYNC_CRON: 'off', CHANGES_POLL_INTERVAL: '300ms', LOG_LEVEL: 'info' };
    bridge = await startBridgeProcess({ ...env, FHIR_VERSION: 'R5' }, await newPort());
    await waitFor('every study stored as R5', async () => ((await json<Bundle>('/ImagingStudy?_count=10')).body.total === 3 ? true : undefined), 30_000, () => bridge?.log() ?? '');
    const r5 = await json<ImagingStudy>(`/ImagingStudy/${copies.studies[0]!.studyInstanceUid}`);
    expect(isR4(r5.body)).toBe(false);
    expect(await bridge.stop()).toBe(0);

    // Without the change feed, only the read and the background re-conversion convert.
    bridge = await startBridgeProcess({ ...env, FHIR_VERSION: 'R4', CHANGES_POLL_INTERVAL: '0' }, await newPort());
    expect((await json<CapabilityStatement>('/metadata')).body.fhirVersion).toBe('4.0.1');
    for (const study of copies.studies) {
      const read = await json<ImagingStudy>(`/ImagingStudy/${study.studyInstanceUid}`);
      expect(read.status).toBe(200);
      expect(isR4(read.body)).toBe(true);
      expect(validateR4(read.body)).toEqual([]);
    }
    const search = await json<Bundle<ImagingStudy>>('/ImagingStudy?_count=10');
    for (const entry of search.body.entry ?? []) expect(isR4(entry.resource as ImagingStudy)).toBe(true);

    await waitFor('the re-conversion to finish', async () => {
      const ready = await json<{ reasons: Array<{ code: string }> }>('/readyz');
      return ready.body.reasons.some((r) => r.code === 'reconversion') ? undefined : true;
    }, 30_000, () => bridge?.log() ?? '');
    const all = await json<Bundle<ImagingStudy>>('/ImagingStudy?_count=10');
    expect(all.body.total).toBe(3);
    for (const entry of all.body.entry ?? []) expect(isR4(entry.resource as ImagingStudy)).toBe(true);
    expect(bridge.log()).not.toContain('CompressedSamples');
  });
});
