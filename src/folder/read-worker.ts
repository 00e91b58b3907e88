/** Worker thread body: reads and classifies the header of each file it is sent, with blocking reads. */
import { parentPort, workerData } from 'node:worker_threads';
import { readDicomHeaderSync } from '../dicom/part10/index.js';
import { ElementInterner } from './intern.js';
import { classify } from './classify.js';
import type { ReadRequest, ReadResponse, WorkerSetup } from './read-headers.js';
import { KNOWN_TAG_KEYS } from './retain.js';

const port = parentPort;
if (port === null) throw new Error('read-worker must run in a worker thread');
const only: ReadonlySet<number> = new Set((workerData as WorkerSetup).only);
const interner = new ElementInterner();

port.on('message', (request: ReadRequest) => {
  const results = request.paths.map((path) => {
    const result = classify(path, readDicomHeaderSync(path, { only }));
    return result.kind === 'instance' ? { ...result, dataset: interner.internKept(result.dataset, KNOWN_TAG_KEYS) } : result;
  });
  const response: ReadResponse = { start: request.start, results };
  port.postMessage(response);
});
