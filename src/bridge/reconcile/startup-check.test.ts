import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../test/support/fakes.js';
import type { ReconcileSummary } from './reconciler.js';
import { startStartupCheck } from './startup-check.js';

const complete: ReconcileSummary = { listed: 2, enqueued: 0, deleted: 1, kept: 0, held: 0, complete: true };
const failed: ReconcileSummary = { listed: 0, enqueued: 0, deleted: 0, kept: 0, held: 0, complete: false, error: 'HTTP 503' };

describe('start-up comparison', () => {
  it('reconciles at once, and again with growing pauses until a listing completes', async () => {
    const answers: Array<ReconcileSummary | Error> = [failed, new Error('ECONNREFUSED'), complete];
    const at: number[] = [];
    const check = startStartupCheck({
      runOnce: async () => {
        at.push(Date.now());
        const next = answers.shift() as ReconcileSummary | Error;
        if (next instanceof Error) throw next;
        return next;
      },
      logger: memoryLogger(),
      retryMs: 20,
    });
    expect(await check.done).toEqual(complete);
    expect(at).toHaveLength(3);
    expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(35);
    await check.stop();
  });

  it('tries nothing more once stopped', async () => {
    let runs = 0;
    const check = startStartupCheck({
      runOnce: async () => {
        runs += 1;
        return failed;
      },
      logger: memoryLogger(),
      retryMs: 10,
    });
    await check.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(1);
  });

  it('runs its first comparison only once the promise it was given settled, fulfilled or rejected', async () => {
    for (const settle of ['resolve', 'reject'] as const) {
      let runs = 0;
      let release: (ok: boolean) => void = () => undefined;
      const after = new Promise<void>((resolve, reject) => (release = (ok) => (ok ? resolve() : reject(new Error('feed failed')))));
      const check = startStartupCheck({
        runOnce: async () => {
          runs += 1;
          return complete;
        },
        after,
        logger: memoryLogger(),
      });
      await new Promise((r) => setTimeout(r, 20));
      expect(runs).toBe(0);
      release(settle === 'resolve');
      expect(await check.done).toEqual(complete);
      expect(runs).toBe(1);
      await check.stop();
    }
  });

  it('runs nothing when stopped while it waits', async () => {
    let runs = 0;
    const check = startStartupCheck({
      runOnce: async () => {
        runs += 1;
        return complete;
      },
      after: new Promise(() => undefined),
      logger: memoryLogger(),
    });
    await check.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBe(0);
  });
});
