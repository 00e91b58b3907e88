import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every regular file under `directory`, at any depth (e.g. a generated study to upload). */
export function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
