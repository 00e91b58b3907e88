/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) by module and by function, so a missed target
 * can be traced to the file that spends the time. Usage:
 *   node --cpu-prof --cpu-prof-dir=.bench/prof dist/cli/main.js convert <dir> > /dev/null
 *   npx tsx bench/profile.ts .bench/prof/<file>.cpuprofile
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from './table.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  key: string;
  ms: number;
  share: number;
}

function moduleName(url: string): string {
  if (url === '') return '(native/V8)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm);
  return path.startsWith('/') ? relative(process.cwd(), path) : path;
}

/** Self time of every sample, grouped by `keyOf(node)`, largest first. */
export function selfTimes(profile: CpuProfile, keyOf: (node: ProfileNode) => string): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    const key = keyOf(node);
    totals.set(key, (totals.get(key) ?? 0) + us);
    all += us;
  });
  return [...totals.entries()]
    .map(([key, us]) => ({ key, ms: us / 1000, share: all === 0 ? 0 : us / all }))
    .sort((a, b) => b.ms - a.ms);
}

function print(title: string, rows: SelfTime[], limit: number): void {
  console.log(`\n${title}`);
  console.log(
    formatTable(
      ['self time', 'ms', '%'],
      rows.slice(0, limit).map((r) => [r.key, r.ms.toFixed(0), (r.share * 100).toFixed(1)]),
    ),
  );
}

async function main(): Promise<void> {
  const path = process.argv[2];
  if (path === undefined) throw new Error('usage: tsx bench/profile.ts <file.cpuprofile>');
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  print('By module', selfTimes(profile, (n) => moduleName(n.callFrame.url)), 15);
  print(
    'By function',
    selfTimes(profile, (n) => `${n.callFrame.functionName || '(anonymous)'} ${moduleName(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`),
    25,
  );
}

if (process.argv[1] !== undefined && import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
