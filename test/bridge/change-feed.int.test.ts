/**
 * The change-feed follower against a real Orthanc (with the DICOMweb plugin): studies uploaded
 * become stable, appear in `/changes`, and are synced through WADO-RS and the real converter;
 * the cursor survives a restart of the bridge, and an Orthanc outage is retried, not fatal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangeFeedFollower, type ChangeFeedFollower, type PollSummary } from '../../src/bridge/changes/index.js';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import { createSyncService, type BridgeSyncService } from '../../src/bridge/sync/index.js';
import { createDicomWebClient, fetchStudyMetadata } from '../../src/dicomweb/index.js';
import { startOrthanc, type OrthancHandle } from '../support/orthanc.js';
import { memoryLogger } from '../support/fakes.js';

const FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const CT_UID = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const MR_UID = '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457';
const J2K_UID = '1.3.6.1.4.1.5962.1.2.8.20040826185059.5457';

let orthanc: OrthancHandle;
let dir: string;

beforeAll(async () => {
  orthanc = await startOrthanc({ stableAgeSeconds: 1 });
  dir = mkdtempSync(join(tmpdir(), 'd2f-feed-int-'));
});

afterAll(async () => {
  await orthanc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Bridge {
  logger: ReturnType<typeof memoryLogger>;
  store: BridgeStore;
  sync: BridgeSyncService;
  follower: ChangeFeedFollower;
  close(): Promise<void>;
}

function openBridge(): Bridge {
  const logger = memoryLogger();
  const store = openStudyStore(dir);
  const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl, timeoutMs: 10_000 });
  const sync = createSyncService({
    store,
    fetchStudy: (uid) => fetchStudyMetadata(client, uid),
    convertOptions: { endpoint: { kind: 'dicomweb', baseUrl: client.baseUrl } },
    logger,
    backoff: { baseMs: 50, maxMs: 200 },
  });
  const follower = createChangeFeedFollower({ orthancUrl: orthanc.url, store, sync, intervalMs: 200, logger });
  return {
    logger,
    store,
    sync,
    follower,
    async close() {
      await follower.stop();
      await sync.stop();
      store.close();
    },
  };
}

/** Polls until `stableStudies` stable studies were seen (Orthanc marks a study stable after StableAge). */
async function pollUntilStable(follower: ChangeFeedFollower, stableStudies: number): Promise<PollSummary[]> {
  const summaries: PollSummary[] = [];
  const deadline = Date.now() + 20_000;
  let seen = 0;
  while (seen < stableStudies) {
    if (Date.now() > deadline) throw new Error(`only ${seen} of ${stableStudies} studies became stable; polls: ${JSON.stringify(summaries)}`);
    const summary = await follower.pollOnce();
    summaries.push(summary);
    seen += summary.stableStudies;
    if (seen < stableStudies) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return summaries;
}

async function orthancLastSeq(): Promise<number> {
  const res = await fetch(`${orthanc.url}/changes?since=0&limit=0`, { headers: orthanc.headers });
  return ((await res.json()) as { Last: number }).Last;
}

describe('change feed against Orthanc', () => {
  it('syncs studies that became stable, records their Orthanc ids and stores the cursor', async () => {
    const [ctId] = await orthanc.upload([`${FILES}/CT_small.dcm`, `${FILES}/MR_small.dcm`]);
    const bridge = openBridge();
    try {
      const summaries = await pollUntilStable(bridge.follower, 2);
      await bridge.sync.idle();
      // Both were unknown and placed through Orthanc's bulk-content, which Orthanc 1.10 has.
      expect(summaries.reduce((n, s) => n + s.lookedUp, 0)).toBe(2);
      expect(bridge.logger.lines.filter((line) => line.includes('bulk-content'))).toEqual([]);
      expect(bridge.store.listStudyInstanceUids()).toEqual([CT_UID, MR_UID]);
      const ct = bridge.store.getByStudyInstanceUid(CT_UID);
      expect(ct?.versionId).toBe(1);
      expect(ct?.resource?.numberOfInstances).toBe(1);
      expect(ct?.resource?.identifier?.[0]).toEqual({ system: 'urn:dicom:uid', value: `urn:oid:${CT_UID}` });
      expect(bridge.store.studyUidForOrthancId(ctId as string)).toBe(CT_UID);
      expect(bridge.store.getCursor('orthanc-changes')).toBe(await orthancLastSeq());
      expect(bridge.sync.status().failures).toEqual([]);
    } finally {
      await bridge.close();
    }
  });

  it('resumes from the stored cursor after a restart of the bridge, handling only what is new', async () => {
    const bridge = openBridge();
    try {
      const first = await bridge.follower.pollOnce();
      expect(first).toMatchObject({ changes: 0, stableStudies: 0 });
      await orthanc.upload([`${FILES}/JPEG2000.dcm`]);
      const summaries = await pollUntilStable(bridge.follower, 1);
      expect(summaries.reduce((n, s) => n + s.stableStudies, 0)).toBe(1);
      await bridge.sync.idle();
      expect(bridge.store.listStudyInstanceUids()).toEqual([CT_UID, MR_UID, J2K_UID]);
      expect(bridge.store.getByStudyInstanceUid(CT_UID)?.versionId).toBe(1);
    } finally {
      await bridge.close();
    }
  });

  it('reads the log again without asking Orthanc about studies it has mapped, queuing each again', async () => {
    const bridge = openBridge();
    try {
      bridge.store.setCursor('orthanc-changes', 0);
      const summary = await bridge.follower.pollOnce();
      expect(summary).toMatchObject({ stableStudies: 3, lookedUp: 0, skipped: 0 });
      await bridge.sync.idle();
      expect(bridge.store.listStudyInstanceUids()).toEqual([CT_UID, MR_UID, J2K_UID]);
      for (const uid of [CT_UID, MR_UID, J2K_UID]) expect(bridge.store.getByStudyInstanceUid(uid)?.versionId).toBe(1);
      expect(bridge.store.listPending()).toEqual([]);
    } finally {
      await bridge.close();
    }
  });

  it('keeps polling through an Orthanc outage and catches up when it is back', async () => {
    const bridge = openBridge();
    try {
      await orthanc.stop();
      bridge.follower.start();
      const deadline = Date.now() + 10_000;
      while (bridge.follower.status().consecutiveErrors < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(bridge.follower.status().consecutiveErrors).toBeGreaterThanOrEqual(2);
      expect(bridge.follower.status().lastError).toBeDefined();
      await orthanc.restart();
      while (bridge.follower.status().consecutiveErrors > 0 && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 100));
      expect(bridge.follower.status()).toMatchObject({ running: true, consecutiveErrors: 0 });
      expect(bridge.follower.status().cursor).toBe(await orthancLastSeq());
    } finally {
      await bridge.close();
    }
  });
});
