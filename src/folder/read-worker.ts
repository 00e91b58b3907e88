/** Worker thread body: reads and classifies the header of each file it is sent, with blocking reads. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ReadRequest, ReadResponse, WorkerSetup } from './read-headers.js';
import { blockingReader, readFileBlocking } from './read-file.js';

const port = parentPort;
if (port === null) throw new Error('read-worker must run in a worker thread');
const only: ReadonlySet<number> = new Set((workerData as WorkerSetup).only);
const reader = blockingReader();

port.on('message', (request: ReadRequest) => {
  const results = request.paths.map((path) => readFileBlocking(path, only, reader));
  const response: ReadResponse = { start: request.start, results };
  port.postMessage(response);
});
