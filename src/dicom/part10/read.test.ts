import { copyFile, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_READ_BYTES, MAX_ASYNC_HEADER_BYTES, MAX_HEADER_BYTES, readDicomHeader, readDicomHeaderSync } from './read.js';

const CT_SMALL = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'part10-read-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function element(group: number, el: number, vr: string, value: Buffer, longForm: boolean): Buffer {
  const head = Buffer.alloc(longForm ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(el, 2);
  head.write(vr, 4, 'latin1');
  if (longForm) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** A Part 10 header of explicit VR little endian with a long comment, then a Pixel Data header. */
function headerWithLongComment(commentBytes: number, pixelBytes: number): Buffer {
  const ts = Buffer.from('1.2.840.10008.1.2.1\0', 'latin1');
  const meta = element(0x0002, 0x0010, 'UI', ts, false);
  const pixelHead = Buffer.alloc(12);
  pixelHead.writeUInt16LE(0x7fe0, 0);
  pixelHead.writeUInt16LE(0x0010, 2);
  pixelHead.write('OW', 4, 'latin1');
  pixelHead.writeUInt32LE(pixelBytes, 8);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    meta,
    element(0x0020, 0x000d, 'UI', Buffer.from('1.2.3.4\0', 'latin1'), false),
    element(0x0020, 0x4000, 'LT', Buffer.alloc(commentBytes, 0x41), false),
    element(0x0040, 0xa160, 'UT', Buffer.alloc(commentBytes * 3, 0x42), true),
    pixelHead,
  ]);
}

describe.each([
  ['readDicomHeader', readDicomHeader],
  ['readDicomHeaderSync', async (path: string) => readDicomHeaderSync(path)],
])('%s', (_name, readHeader) => {
  it('reads a header longer than the first read and leaves gigabytes of pixel data on disk', async () => {
    const pixelBytes = 0xfffffff0;
    const header = headerWithLongComment(60_000, pixelBytes);
    expect(header.length).toBeGreaterThan(FIRST_READ_BYTES * 4);
    const path = join(dir, `huge-${_name}.dcm`);
    await writeFile(path, header);
    const handle = await open(path, 'r+');
    await handle.truncate(header.length + pixelBytes);
    await handle.close();
    const result = await readHeader(path);
    expect(result.ok && result.dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
    expect(result.ok && (result.dataset['00204000']?.Value?.[0] as string).length).toBe(60_000);
  });

  it('reads a header longer than what is read without blocking, after its long element', async () => {
    const ts = element(0x0002, 0x0010, 'UI', Buffer.from('1.2.840.10008.1.2.1\0', 'latin1'), false);
    const long = element(0x0009, 0x1001, 'OB', Buffer.alloc(MAX_ASYNC_HEADER_BYTES + 1024, 7), true);
    const study = element(0x0020, 0x000d, 'UI', Buffer.from('1.2.3.4\0', 'latin1'), false);
    const path = join(dir, `long-element-${_name}.dcm`);
    await writeFile(path, Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), ts, long, study]));
    const result = await readHeader(path);
    expect(result.ok && result.dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
  });

  it('reports truncated, without reading on, an element declared longer than the file', async () => {
    const header = headerWithLongComment(100, 16);
    const path = join(dir, `lying-length-${_name}.dcm`);
    const declared = Buffer.alloc(4);
    declared.writeUInt32LE(0xfffffff0, 0);
    const at = header.indexOf(Buffer.from([0x40, 0x00, 0x60, 0xa1]));
    declared.copy(header, at + 8);
    await writeFile(path, header);
    const handle = await open(path, 'r+');
    await handle.truncate(MAX_HEADER_BYTES * 2);
    await handle.close();
    expect(await readHeader(path)).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('reports truncated for a copy of CT_small.dcm cut inside its pixel data', async () => {
    const path = join(dir, 'cut.dcm');
    await writeFile(path, (await readFile(CT_SMALL)).subarray(0, 30_000));
    expect(await readHeader(path)).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('reports truncated for a copy of CT_small.dcm cut inside its header', async () => {
    const path = join(dir, 'cut-header.dcm');
    await writeFile(path, (await readFile(CT_SMALL)).subarray(0, 1000));
    expect(await readHeader(path)).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('reads a whole copy of CT_small.dcm', async () => {
    const path = join(dir, 'ct.dcm');
    await copyFile(CT_SMALL, path);
    const result = await readHeader(path);
    expect(result.ok && result.dataset['0020000D']?.Value).toEqual(['1.3.6.1.4.1.5962.1.2.1.20040119072730.12322']);
  });

  it('reports not-dicom for an empty file', async () => {
    const path = join(dir, 'empty');
    await writeFile(path, '');
    expect(await readHeader(path)).toMatchObject({ ok: false, reason: 'not-dicom' });
  });

  it('reports unreadable with the error code and without the path for a missing file', async () => {
    const result = await readHeader(join(dir, 'Doe^John', 'missing.dcm'));
    expect(result).toEqual({ ok: false, reason: 'unreadable', detail: 'ENOENT' });
  });

  it('reports unreadable for a directory', async () => {
    expect(await readHeader(dir)).toEqual({ ok: false, reason: 'unreadable', detail: 'not a regular file' });
  });
});
