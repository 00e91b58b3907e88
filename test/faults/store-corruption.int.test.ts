/**
 * Flipped bytes in the store file: a study whose stored JSON was altered on disk is never served —
 * the read answers a 500 OperationOutcome, /readyz says store-corrupt (503), nothing of the stored
 * text reaches the log — and the study is re-synced from Orthanc, after which it is served again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImagingStudy, OperationOutcome } from 'fhir/r4';
import { STORE_FILE_NAME } from '../../src/bridge/store/index.js';
import { request, startBridgeProcess, type BridgeProcess } from '../support/bridge-process.js';
import { waitFor } from '../support/wait.js';
import { generateCopies, type CopiesManifest } from '../support/generate/copies.js';
import { distinctFreePorts, freePort, startOrthanc, type OrthancHandle } from '../support/orthanc.js';
import { validateR4 } from '../support/fhir-validation.js';

const CT_SMALL = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

let work: string;
let orthanc: OrthancHandle;
let bridge: BridgeProcess | undefined;
let copies: CopiesManifest;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'd2f-corrupt-'));
  copies = await generateCopies(CT_SMALL, join(work, 'copies'), { studies: 1, seriesPerStudy: 1, instancesPerSeries: 2, seed: 'corruption' });
  orthanc = await startOrthanc({ stableAgeSeconds: 1 });
  const study = copies.studies[0]!;
  await orthanc.upload(study.series[0]!.sopInstanceUids.map((_, i) => join(study.directory, 'series-0001', `${String(i + 1).padStart(6, '0')}.dcm`)));
});

afterAll(async () => {
  await bridge?.stop();
  await orthanc?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A free port no earlier bridge of this file listened on. */
const newPort = distinctFreePorts();

/** Changes one byte in every stored copy of `marker` (the current version and its history row). */
function flipBytes(file: string, marker: string): number {
  const bytes = readFileSync(file);
  const needle = Buffer.from(marker, 'utf8');
  let flipped = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    bytes[at + needle.length - 1]! ^= 0x01;
    flipped += 1;
  }
  writeFileSync(file, bytes);
  return flipped;
}

describe('flipped bytes in the store', () => {
  it('answers 500 and /readyz 503 instead of serving them, logs no stored text, and re-syncs the study from Orthanc', async () => {
    const uid = copies.studies[0]!.studyInstanceUid;
    const dataDir = join(work, 'data');
    const env = { ORTHANC_URL: orthanc.url, DATA_DIR: dataDir, SYNC_CRON: 'off', CHANGES_POLL_INTERVAL: '300ms', LOG_LEVEL: 'info' };
    bridge = await startBridgeProcess(env, await newPort());
    const read = async (): Promise<{ status: number; type: string | null; text: string }> => {
      const response = await request(`${bridge?.url}/ImagingStudy/${uid}`);
      return { status: response.status, type: String(response.headers['content-type']), text: response.text };
    };
    const sound = await waitFor('the study synced', async () => {
      const answer = await read();
      return answer.status === 200 && (await request(`${bridge?.url}/ImagingStudy?identifier=${uid}`)).json<{ total: number }>().total === 1 ? answer : undefined;
    }, 30_000, () => bridge?.log() ?? '');
    expect(await bridge.stop()).toBe(0);

    // The closed store has its WAL checkpointed into the file: flip a byte inside the stored JSON.
    expect(flipBytes(join(dataDir, STORE_FILE_NAME), '"status":"available"')).toBeGreaterThanOrEqual(1);

    // No change feed here: only the read's detection may bring the study back.
    bridge = await startBridgeProcess({ ...env, CHANGES_POLL_INTERVAL: '0' }, await newPort());
    const corrupt = await read().catch((error: unknown) => {
      throw new Error(`read failed: ${String(error)}\n${bridge?.log() ?? ''}`);
    });
    expect(corrupt.status).toBe(500);
    const outcome = JSON.parse(corrupt.text) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]?.details?.text).toBe('The stored study is corrupted; it is being re-synced from the image source');

    const repaired = await waitFor('the study re-synced and served again', async () => {
      const answer = await read();
      return answer.status === 200 ? answer : undefined;
    }, 30_000, () => bridge?.log() ?? '');
    expect(repaired.text).toBe(sound.text);
    expect(validateR4(JSON.parse(repaired.text) as ImagingStudy)).toEqual([]);
    const ready = (await request(`${bridge.url}/readyz`)).json<{ reasons: Array<{ code: string }> }>();
    expect(ready.reasons.map((r) => r.code)).not.toContain('store-corrupt');

    const log = bridge.log();
    expect(log).toContain('its bytes do not match their checksum');
    expect(log).not.toContain('availablf');
    expect(log).not.toContain('CompressedSamples');
  });

  it('reports store-corrupt in /readyz while a corrupted study is not repaired', async () => {
    await bridge?.stop();
    const uid = copies.studies[0]!.studyInstanceUid;
    const dataDir = join(work, 'data');
    flipBytes(join(dataDir, STORE_FILE_NAME), '"status":"available"');
    // The image source is gone: the study cannot be re-synced, so the condition stays.
    bridge = await startBridgeProcess({ ORTHANC_URL: `http://127.0.0.1:${await freePort()}`, DATA_DIR: dataDir, SYNC_CRON: 'off', CHANGES_POLL_INTERVAL: '0' }, await newPort());
    expect((await request(`${bridge.url}/ImagingStudy/${uid}`)).status).toBe(500);
    const ready = await request(`${bridge.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json<{ reasons: Array<{ code: string }> }>().reasons.map((r) => r.code)).toContain('store-corrupt');
  });
});
