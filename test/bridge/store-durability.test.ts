import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStudyStore } from '../../src/bridge/store/sqlite-store.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-store-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('durability', () => {
  it('keeps everything a process committed before it was killed with SIGKILL', async () => {
    const dataDir = join(dir, 'killed');
    const script = join(import.meta.dirname, 'write-then-hang.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir, '1.2.840.99'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('written')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const reopened = openStudyStore(dataDir);
    try {
      expect(reopened.get('1.2.840.99')).toMatchObject({ versionId: 2, deleted: false });
      expect(reopened.get('1.2.840.99')?.resource?.series).toHaveLength(2);
      expect(reopened.getCursor('orthanc-changes')).toBe(4242);
      expect(reopened.listFailures().map((f) => f.studyInstanceUid)).toEqual(['1.2.3.999']);
    } finally {
      reopened.close();
    }
  });
});
