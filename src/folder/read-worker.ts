/** Worker thread body: reads and classifies the header of each file it is sent, with blocking reads. */
import { parentPort } from 'node:worker_threads';
import type { ReadRequest, ReadResponse } from './read-headers.js';
import { blockingReader, readFileBlocking } from './read-file.js';

const port = parentPort;
if (port === null) throw new Error('read-worker must run in a worker thread');
const reader = blockingReader();

port.on('message', (request: ReadRequest) => {
  const results = request.paths.map((path) => readFileBlocking(path, reader));
  const response: ReadResponse = { start: request.start, results };
  port.postMessage(response);
});
