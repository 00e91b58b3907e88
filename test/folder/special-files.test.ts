import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicomHeader, readDicomHeaderSync } from '../../src/dicom/part10/read.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'part10-special-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each([
  ['readDicomHeader', readDicomHeader],
  ['readDicomHeaderSync', async (path: string) => readDicomHeaderSync(path)],
])('%s on special files', (name, readHeader) => {
  it('reports unreadable for a FIFO without waiting for a writer', async () => {
    const path = join(dir, `fifo-${name}`);
    execFileSync('mkfifo', [path]);
    expect(await readHeader(path)).toEqual({ ok: false, reason: 'unreadable', detail: 'not a regular file' });
  });
});
