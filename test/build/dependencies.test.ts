/**
 * `dependencies` in package.json list exactly the packages the built code (`dist/`, what ships)
 * imports at run time: nothing shipped may rely on a devDependency, and no runtime dependency
 * may be installed for nothing. Needs the build (`npm test` builds first).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist');

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(packageName(specifier));
}

/** Every bare specifier of a static import/export, dynamic `import('…')` or `require('…')`. */
function importedPackages(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !isBuiltin(s))
    .map(packageName);
}

describe('runtime dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const declared = Object.keys(pkg.dependencies).sort();
  const files = jsFiles(DIST);
  const imported = [...new Set(files.flatMap(importedPackages))].sort();

  it('finds the built files', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith(join('cli', 'main.js')))).toBe(true);
  });

  it('are exactly what the built code imports', () => {
    expect(imported).toEqual(declared);
  });
});
