import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../test/support/fakes.js';
import { createReconverter, reconversionReason, type Reconverter } from './reconverter.js';

let reconverter: Reconverter | undefined;
afterEach(() => reconverter?.stop());

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('background re-conversion', () => {
  it('queues stale studies a batch at a time, only while the sync queue is short, each once, and stops when none is left', async () => {
    const stale = ['1.1', '1.2', '1.3', '1.4', '1.5'];
    const gone = new Set(['1.3']);
    const batches: string[][] = [];
    let queueLength = 10;
    const store = {
      listStaleStudies: (limit: number) => stale.slice(0, limit),
      countStaleStudies: () => stale.length,
    };
    const sync = {
      status: () => ({ queued: queueLength, inFlight: 0, failures: [], scheduledRetries: 0, hookErrors: 0, unrecordedFailures: 0, storeFaultRetries: 0 }),
      enqueueMany(uids: readonly string[]) {
        batches.push([...uids]);
        // Converted (no longer stale) except the one the source no longer has.
        for (const uid of uids) if (!gone.has(uid)) stale.splice(stale.indexOf(uid), 1);
      },
    };
    reconverter = createReconverter({ store, sync, logger: memoryLogger(), batch: 2, intervalMs: 5 });
    reconverter.start();
    await new Promise((r) => setTimeout(r, 40));
    expect(batches).toEqual([]);
    queueLength = 0;
    await until(() => batches.flat().length === 5);
    await new Promise((r) => setTimeout(r, 40));
    expect(batches).toEqual([['1.1', '1.2'], ['1.3', '1.4'], ['1.5']]);
    expect(reconverter.remaining()).toBe(1);
  });

  it('is a degraded /readyz reason while studies remain', () => {
    expect(reconversionReason(0)).toBeUndefined();
    expect(reconversionReason(3)).toMatchObject({ code: 'reconversion', impact: 'degraded' });
  });
});
