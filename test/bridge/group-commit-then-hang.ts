/**
 * Child process for the store durability test: syncs a first group of studies to the end (its
 * commit), then syncs a second group whose transaction is left open — the process blocks inside it
 * — reporting on stdout each study the sync service says was stored, and "committed" / "in
 * transaction" at each point, then waits to be killed with SIGKILL.
 */
import { createSyncService } from '../../src/bridge/sync/index.js';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import { datasets, fakeConvert, memoryLogger } from '../support/fakes.js';

const [dataDir, committedUids, openUids] = process.argv.slice(2) as [string, string, string];
const store = openStudyStore(dataDir);
let blockInside = false;
const blocking: BridgeStore = {
  ...store,
  putSyncedMany(studies) {
    if (!blockInside) return store.putSyncedMany(studies);
    // The group is written inside an outer transaction that never commits: the process stops here.
    return store.database.transaction(() => {
      const outcomes = store.putSyncedMany(studies);
      process.stdout.write(`in transaction ${studies.map((s) => s.studyInstanceUid).join(',')}\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return outcomes;
    })();
  },
};
const sync = createSyncService({
  store: blocking,
  fetchStudy: async (uid) => datasets(uid),
  convert: fakeConvert,
  convertOptions: { endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs/dicom-web' }, format: 'imagingstudy' },
  logger: memoryLogger(),
  onStored: (study) => {
    process.stdout.write(`stored ${study.studyInstanceUid}\n`);
  },
});
sync.enqueueMany(committedUids.split(','), 'changes');
await sync.idle();
process.stdout.write('committed\n');
blockInside = true;
sync.enqueueMany(openUids.split(','), 'changes');
setInterval(() => undefined, 60_000);
