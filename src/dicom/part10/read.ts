/** The file edge of the reader: reads only as much of a file as its header needs. */
import { open, type FileHandle } from 'node:fs/promises';
import { parseHeaderBytes } from './header.js';
import type { HeaderResult } from './result.js';

/** First read: enough for the header of almost every image (pixel data is never needed). */
export const FIRST_READ_BYTES = 16 * 1024;

async function readInto(handle: FileHandle, buffer: Buffer, from: number): Promise<number> {
  let filled = from;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown error';
}

/**
 * Reads and parses one file's header. Starts with `FIRST_READ_BYTES` and reads four times as
 * much each time the header runs past the bytes read, so pixel data stays on disk. Never
 * throws: I/O failures are `unreadable` with the system error code (the path is left out of
 * the detail because folder names can carry patient data).
 */
export async function readDicomHeader(path: string): Promise<HeaderResult> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: describe(error) };
  }
  let result: HeaderResult;
  try {
    result = await readHeaderFrom(handle);
  } catch (error) {
    result = { ok: false, reason: 'unreadable', detail: describe(error) };
  }
  try {
    await handle.close();
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: `close failed: ${describe(error)}` };
  }
  return result;
}

async function readHeaderFrom(handle: FileHandle): Promise<HeaderResult> {
  const stats = await handle.stat();
  if (!stats.isFile()) return { ok: false, reason: 'unreadable', detail: 'not a regular file' };
  const fileSize = stats.size;
  let buffer = Buffer.allocUnsafe(Math.min(fileSize, FIRST_READ_BYTES));
  let filled = await readInto(handle, buffer, 0);
  while (true) {
    const size = filled < buffer.length ? filled : fileSize;
    const { needsMoreBytes, ...result } = parseHeaderBytes(buffer.subarray(0, filled), { fileSize: size });
    if (needsMoreBytes !== true || filled >= fileSize) return result as HeaderResult;
    const larger = Buffer.allocUnsafe(Math.min(fileSize, buffer.length * 4));
    buffer.copy(larger, 0, 0, filled);
    buffer = larger;
    filled = await readInto(handle, buffer, filled);
  }
}
