import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStudyStore } from '../../src/bridge/store/sqlite-store.js';
import { createSyncService } from '../../src/bridge/sync/index.js';
import { datasets, fakeConvert, memoryLogger } from '../support/fakes.js';

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

  it('keeps a committed group of synced studies after SIGKILL, and syncs again the group whose commit had not happened', async () => {
    const dataDir = join(dir, 'group');
    const committed = ['1.2.840.10.1', '1.2.840.10.2', '1.2.840.10.3'];
    const open = ['1.2.840.20.1', '1.2.840.20.2', '1.2.840.20.3'];
    const script = join(import.meta.dirname, 'group-commit-then-hang.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir, committed.join(','), open.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('in transaction')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const reported = stdout.split('\n').filter((line) => line.startsWith('stored ')).map((line) => line.slice('stored '.length));
    // Only studies of the committed group were reported stored; the open group's syncs had not ended.
    expect(reported.sort()).toEqual(committed);
    expect(stdout).toMatch(/in transaction 1\.2\.840\.20\./);

    const reopened = openStudyStore(dataDir);
    try {
      for (const uid of committed) expect(reopened.getByStudyInstanceUid(uid)).toMatchObject({ versionId: 1, deleted: false });
      for (const uid of open) expect(reopened.getByStudyInstanceUid(uid)).toBeUndefined();
      // The open group is still in the stored queue: the next start syncs it.
      expect(reopened.listPending().map((p) => p.studyInstanceUid).sort()).toEqual(open);
      const fetched: string[] = [];
      const sync = createSyncService({
        store: reopened,
        fetchStudy: async (uid) => (fetched.push(uid), datasets(uid)),
        convert: fakeConvert,
        convertOptions: { endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs/dicom-web' }, format: 'imagingstudy' },
        logger: memoryLogger(),
      });
      await sync.idle();
      await sync.stop();
      expect(fetched.sort()).toEqual(open);
      for (const uid of [...committed, ...open]) expect(reopened.getByStudyInstanceUid(uid)).toMatchObject({ versionId: 1, deleted: false });
      expect(reopened.listPending()).toEqual([]);
    } finally {
      reopened.close();
    }
  });
});
