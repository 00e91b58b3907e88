import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareCodeUnits, walkFiles } from './walk.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'd2f-walk-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('walkFiles', () => {
  it('lists every regular file recursively, whatever its extension, in code-unit order', async () => {
    await mkdir(join(root, 'b', 'deep'), { recursive: true });
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'b', 'deep', 'IM0001'), 'x');
    await writeFile(join(root, 'a', 'image.dcm'), 'x');
    await writeFile(join(root, 'Z.txt'), 'x');
    await writeFile(join(root, 'a', 'B'), 'x');
    const { files, failures } = await walkFiles(root);
    expect(files).toEqual([join(root, 'Z.txt'), join(root, 'a', 'B'), join(root, 'a', 'image.dcm'), join(root, 'b', 'deep', 'IM0001')]);
    expect(failures).toEqual([]);
  });

  it('reports the entries listed so far as each directory is read, before its subdirectories are entered', async () => {
    await mkdir(join(root, 'b'));
    await writeFile(join(root, 'b', 'IM1'), 'x');
    await writeFile(join(root, 'b', 'IM2'), 'x');
    await writeFile(join(root, 'IM0'), 'x');
    const listed: number[] = [];
    const { files } = await walkFiles(root, { onListed: (entries) => listed.push(entries) });
    expect(listed).toEqual([2, 4]);
    expect(files).toHaveLength(3);
  });

  it('follows a symlinked file and a symlinked directory', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'd2f-walk-outside-'));
    try {
      await writeFile(join(outside, 'target'), 'x');
      await symlink(join(outside, 'target'), join(root, 'link-to-file'));
      await symlink(outside, join(root, 'link-to-dir'));
      const { files } = await walkFiles(root);
      expect(files).toEqual([join(root, 'link-to-dir', 'target'), join(root, 'link-to-file')]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('enters each directory once when a symlink points back to an ancestor', async () => {
    await mkdir(join(root, 'series'));
    await writeFile(join(root, 'series', 'IM1'), 'x');
    await symlink(root, join(root, 'series', 'loop'));
    const { files, failures } = await walkFiles(root);
    expect(files).toEqual([join(root, 'series', 'IM1')]);
    expect(failures).toEqual([]);
  });

  it('reports a broken symlink as a failure instead of dropping it', async () => {
    await symlink(join(root, 'nowhere'), join(root, 'dangling'));
    await writeFile(join(root, 'IM1'), 'x');
    const { files, failures } = await walkFiles(root);
    expect(files).toEqual([join(root, 'IM1')]);
    expect(failures).toEqual([{ path: join(root, 'dangling'), detail: 'ENOENT' }]);
  });
});

describe('compareCodeUnits', () => {
  it('orders upper case before lower case, independent of locale', () => {
    expect(['b', 'B', 'a', 'A10', 'A9'].sort(compareCodeUnits)).toEqual(['A10', 'A9', 'B', 'a', 'b']);
  });
});
