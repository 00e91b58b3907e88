/** The header-reading worker threads, kept between folder conversions for a short while. */
import { Worker } from 'node:worker_threads';

/**
 * Idle threads are kept this long: a process that converts folder after folder (a server, a
 * script over many studies) then pays a thread's start-up (about 40 ms) and its warm-up only
 * once, while a process that is done does not hold two threads' memory for long.
 */
export const IDLE_THREAD_MS = 5_000;

const idle: Worker[] = [];
let idleTimer: NodeJS.Timeout | undefined;

/**
 * Built, the worker is the compiled JavaScript beside this module. Run from sources (tests,
 * benchmarks, from the repository root) it is TypeScript, which the worker loads after
 * registering the tsx loader.
 */
function startWorker(): Worker {
  let worker: Worker;
  if (!import.meta.url.endsWith('.ts')) {
    worker = new Worker(new URL('./read-worker.js', import.meta.url));
  } else {
    const entry = new URL('./read-worker.ts', import.meta.url).href;
    const code = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    worker = new Worker(code, { eval: true });
  }
  worker.on('exit', () => leaveIdle(worker));
  return worker;
}

function leaveIdle(worker: Worker): void {
  const at = idle.indexOf(worker);
  if (at >= 0) idle.splice(at, 1);
}

function stopIdle(): void {
  idleTimer = undefined;
  for (const worker of idle.splice(0)) void worker.terminate();
}

/** Idle threads stop after {@link IDLE_THREAD_MS} unless a read takes them first. */
function stopIdleLater(): void {
  if (idle.length > 0 && idleTimer === undefined) {
    idleTimer = setTimeout(stopIdle, IDLE_THREAD_MS);
    idleTimer.unref();
  }
}

/** `count` threads for one read, idle ones first; each keeps the process alive until released. */
export function acquireThreads(count: number): Worker[] {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = undefined;
  const workers = idle.splice(0, count);
  while (workers.length < count) workers.push(startWorker());
  for (const worker of workers) worker.ref();
  return workers;
}

/**
 * Starts threads ahead of a read, as idle ones, until `count` are idle: a thread then loads the
 * reader while the caller is still listing files. Like any idle thread, they never keep the
 * process alive and stop after {@link IDLE_THREAD_MS} unless a read takes them.
 */
export function warmThreads(count: number): void {
  while (idle.length < count) {
    const worker = startWorker();
    // A thread that fails before any read takes it leaves the pool; the read then starts its
    // own thread, which meets the same failure with the read's listeners and reports it.
    worker.once('error', () => leaveIdle(worker));
    worker.unref();
    idle.push(worker);
  }
  stopIdleLater();
}

/**
 * Hands back threads that answered every request they were sent, so no late message can reach
 * the next read; threads beyond `keepIdle` idle ones are stopped. Idle threads never keep the process
 * alive.
 */
export function releaseThreads(workers: readonly Worker[], keepIdle: number): void {
  for (const worker of workers) {
    if (idle.length >= keepIdle) {
      void worker.terminate();
      continue;
    }
    worker.unref();
    idle.push(worker);
  }
  stopIdleLater();
}

/** Stops threads of a failed read: one may still be working on a request. */
export async function discardThreads(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.terminate()));
}
