/**
 * Reads and classifies every candidate file of a folder, on worker threads and the calling
 * thread together when the folder is large enough to repay starting them, in the calling thread
 * alone otherwise. Results come back in input order either way, so the output never depends on
 * which thread finished first.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { readDicomHeader } from '../dicom/part10/index.js';
import { classify, type Classified } from './classify.js';
import { mapWithConcurrency } from './pool.js';
import { acquireThreads, discardThreads, releaseThreads, warmThreads } from './reader-threads.js';
import { blockingReader, readFileBlocking } from './read-file.js';
import { FOLDER_TAGS } from './retain.js';

export { FOLDER_TAGS } from './retain.js';

/**
 * Below this many files the in-thread path wins: starting a worker and loading the reader into
 * it costs about 30 ms, the time the in-thread path takes for some 200 files.
 */
export const MIN_FILES_FOR_WORKERS = 200;
/**
 * Files per message to a worker: large enough that message passing is a small share of the
 * work, small enough that the threads finish close together and progress moves steadily.
 */
export const FILES_PER_REQUEST = 128;
/**
 * Requests a worker holds at once: with one, a worker waits idle from its answer until this
 * thread has received it and sent the next; with two, the next is already queued in the
 * worker while this thread takes in the previous answer.
 */
export const REQUESTS_IN_FLIGHT = 2;

export interface ReadRequest {
  start: number;
  paths: string[];
}
export interface ReadResponse {
  start: number;
  results: Classified[];
}

export interface ReadHeadersOptions {
  /** Header reads in flight on the in-thread path. */
  concurrency: number;
  /** Worker threads; 0 reads in the calling thread. Default: {@link defaultThreads}. */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Most threads used unless the caller asks for more. Each costs some 10 MiB and 40 ms to
 * start, and the calling thread still receives every result alone, so on a many-core machine
 * a thread per core would cost memory out of proportion; measured only up to 2 cores.
 */
export const MAX_DEFAULT_THREADS = 4;

/**
 * Worker threads for `files` when the caller did not say: one per core but the one the calling
 * thread reads on (see {@link readInWorkers}), at most {@link MAX_DEFAULT_THREADS}, and at least
 * one, so a one-core machine still reads with blocking calls.
 */
export function defaultThreads(files: number): number {
  return files < MIN_FILES_FOR_WORKERS ? 0 : Math.max(1, Math.min(availableParallelism() - 1, MAX_DEFAULT_THREADS));
}

/**
 * Files the calling thread reads at a time while worker threads read too: a few milliseconds of
 * blocking reads, after which the thread takes in the workers' answers.
 */
export const FILES_PER_CALLING_THREAD_SLICE = 32;

/** Threads a read of `files` files uses: `threads` or the default, never more than it has batches. */
function threadsFor(files: number, threads: number | undefined): number {
  return Math.min(threads ?? defaultThreads(files), Math.ceil(files / FILES_PER_REQUEST));
}

/**
 * Starts the threads a read of at least `files` files will use, while the caller is still
 * finding files; a later {@link readHeaders} takes them. Calling it again as more files are
 * found starts only what is missing.
 */
export function warmReaderThreads(files: number, threads?: number): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0)) return;
  const count = threadsFor(files, threads);
  if (count > 0) warmThreads(count);
}

export function readHeaders(files: readonly string[], options: ReadHeadersOptions): Promise<Classified[]> {
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 0)) {
    return Promise.reject(new RangeError(`threads must be a non-negative integer, got ${options.threads}`));
  }
  const threads = threadsFor(files.length, options.threads);
  if (threads < 1) {
    return mapWithConcurrency(
      files,
      options.concurrency,
      async (path) => classify(path, await readDicomHeader(path, { only: FOLDER_TAGS })),
      options.onProgress,
    );
  }
  return readInWorkers(files, threads, options.onProgress);
}

type Listener = Parameters<Worker['on']>[1];

/**
 * Each worker holds {@link REQUESTS_IN_FLIGHT} batches and gets the next as soon as it answers
 * one, so a thread slowed by other load simply takes fewer batches. The calling thread reads
 * from the same list between the workers' answers, in slices of
 * {@link FILES_PER_CALLING_THREAD_SLICE} files: it would otherwise wait idle, and what it reads
 * is neither copied between threads nor waits for a worker to start. Any worker failure rejects
 * the whole read: a file left unread would be a file neither converted nor reported.
 */
function readInWorkers(files: readonly string[], threads: number, onProgress?: (done: number, total: number) => void): Promise<Classified[]> {
  const results = new Array<Classified>(files.length);
  const reader = blockingReader();
  return new Promise((resolve, reject) => {
    const workers = acquireThreads(threads);
    const listeners: Array<{ worker: Worker; event: string; listener: Listener }> = [];
    const listen = (worker: Worker, event: string, listener: Listener): void => {
      worker.on(event, listener);
      listeners.push({ worker, event, listener });
    };
    const detach = (): void => {
      for (const { worker, event, listener } of listeners) worker.off(event, listener);
    };
    let next = 0;
    let done = 0;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      detach();
      void discardThreads(workers).finally(() => reject(error instanceof Error ? error : new Error(String(error))));
    };
    const send = (worker: Worker): boolean => {
      if (next >= files.length) return false;
      const request: ReadRequest = { start: next, paths: files.slice(next, next + FILES_PER_REQUEST) };
      next += request.paths.length;
      worker.postMessage(request);
      return true;
    };
    /** Takes in a batch read by any thread; false when the read is over (every file read, or failed). */
    const accept = (start: number, batch: readonly Classified[]): boolean => {
      for (let j = 0; j < batch.length; j++) results[start + j] = batch[j] as Classified;
      done += batch.length;
      if (done === files.length) {
        detach();
        releaseThreads(workers, defaultThreads(MIN_FILES_FOR_WORKERS));
      }
      try {
        onProgress?.(done, files.length);
      } catch (error) {
        fail(error);
        return false;
      }
      if (done < files.length) return true;
      resolve(results);
      return false;
    };
    const readHere = (): void => {
      if (failed || next >= files.length) return;
      const start = next;
      const paths = files.slice(start, start + FILES_PER_CALLING_THREAD_SLICE);
      next += paths.length;
      let batch: Classified[];
      try {
        batch = paths.map((path) => readFileBlocking(path, reader));
      } catch (error) {
        fail(error);
        return;
      }
      if (accept(start, batch)) setImmediate(readHere);
    };
    for (const worker of workers) {
      listen(worker, 'message', (response: ReadResponse) => {
        if (failed) return;
        if (accept(response.start, response.results)) send(worker);
      });
      listen(worker, 'error', fail);
      listen(worker, 'exit', (code: number) => fail(new Error(`header reader thread exited with code ${code} before every file was read`)));
    }
    // Round-robin, so that a small folder's batches are spread over every thread.
    for (let round = 0; round < REQUESTS_IN_FLIGHT; round++) {
      for (const worker of workers) send(worker);
    }
    setImmediate(readHere);
  });
}
