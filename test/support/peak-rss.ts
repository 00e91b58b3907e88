/**
 * Peak memory of a child process: `ulimit -v` kills Node at start (it reserves address space),
 * and GNU time is not always installed, so the child reports its own VmHWM at exit through a
 * preloaded script.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('./peak-rss-preload.cjs', import.meta.url));

/** Runs `start(env)` with the preload in its environment; resolves its result and peak RSS in MiB. */
export async function withPeakRss<T>(start: (env: Record<string, string>) => Promise<T>): Promise<{ result: T; peakRssMiB: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'peak-rss-'));
  try {
    const file = join(dir, 'vmhwm');
    const nodeOptions = [process.env.NODE_OPTIONS ?? '', `--require=${PRELOAD}`].join(' ').trim();
    const result = await start({ NODE_OPTIONS: nodeOptions, PEAK_RSS_FILE: file });
    const kib = Number((await readFile(file, 'utf8')).trim());
    if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no peak RSS reported by the child (${file})`);
    return { result, peakRssMiB: kib / 1024 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
