/** Lists every regular file under a directory tree, in a stable order, following symlinks safely. */
import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A directory entry that could not be listed or inspected; counted, never dropped silently. */
export interface WalkFailure {
  path: string;
  detail: string;
}

export interface WalkResult {
  /** Absolute paths of regular files, sorted by code unit so the order never depends on locale or file system. */
  files: string[];
  failures: WalkFailure[];
}

/** Code-unit order: identical on every machine, unlike `localeCompare`. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : code;
  }
  return String(error);
}

/**
 * Every regular file is a candidate whatever its name (SPEC §3): DICOM media often carry no
 * extension (PS3.10 §8.2 file IDs such as `IM000001`). Symlinks are followed (`stat` on the link)
 * and each directory is entered once per device+inode, so a link back to an ancestor cannot loop.
 * Broken links and unreadable directories become failures for the caller to report.
 */
export interface WalkOptions {
  /**
   * Called as each directory is listed, before its entries are visited, with the number of
   * entries listed so far: an early hint of how many files the walk will find.
   */
  onListed?: (entries: number) => void;
}

export async function walkFiles(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const files: string[] = [];
  const failures: WalkFailure[] = [];
  const visited = new Set<string>();
  let listed = 0;

  async function visitDirectory(dir: string, key: string): Promise<void> {
    if (visited.has(key)) return;
    visited.add(key);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      failures.push({ path: dir, detail: describe(error) });
      return;
    }
    listed += entries.length;
    options.onListed?.(listed);
    entries.sort((a, b) => compareCodeUnits(a.name, b.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isFile()) {
        files.push(path);
        continue;
      }
      if (!entry.isDirectory() && !entry.isSymbolicLink()) {
        failures.push({ path, detail: 'not a regular file' });
        continue;
      }
      let info: Stats;
      try {
        info = await stat(path);
      } catch (error) {
        failures.push({ path, detail: describe(error) });
        continue;
      }
      if (info.isDirectory()) await visitDirectory(path, `${info.dev}:${info.ino}`);
      else if (info.isFile()) files.push(path);
      else failures.push({ path, detail: 'not a regular file' });
    }
  }

  const rootInfo = await stat(root);
  await visitDirectory(root, `${rootInfo.dev}:${rootInfo.ino}`);
  files.sort(compareCodeUnits);
  return { files, failures };
}
