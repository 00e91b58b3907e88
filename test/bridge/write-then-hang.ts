/**
 * Child process for the store durability test: writes a study, a cursor and a failure, reports
 * "written" on stdout and then waits to be killed with SIGKILL (no clean close).
 */
import { openStudyStore } from '../../src/bridge/store/index.js';
import { imagingStudy } from '../support/studies.js';

const [dataDir, uid] = process.argv.slice(2) as [string, string];
const store = openStudyStore(dataDir);
store.put(imagingStudy({ uid, started: '2024-05-06T07:08:09+02:00' }));
store.put(imagingStudy({ uid, started: '2024-05-06T07:08:09+02:00', modalities: ['CT', 'SR'] }));
store.setCursor('orthanc-changes', 4242);
store.recordFailure({ studyInstanceUid: '1.2.3.999', attempts: 3, lastError: 'HTTP 503', lastAttemptAt: '2024-05-06T00:00:00.000Z' });
process.stdout.write('written\n');
setInterval(() => undefined, 60_000);
