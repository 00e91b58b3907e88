/**
 * The bridge suite's catch-up comparison alone, repeated and alternated (bridge, Orthanc alone,
 * bridge, …) so that a change can be measured in minutes; also the CPU each side costs Orthanc
 * and the bridge's own process, and with `--cpu-prof-dir` a V8 profile of each bridge run only
 * (summarise it with `bench/profile.ts`). Usage:
 *   npx tsx bench/catchup.ts [rounds] [--cpu-prof-dir=<dir>]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { generateCopies } from '../test/support/generate/copies.js';
import { startOrthanc } from '../test/support/orthanc.js';
import { BENCH_DIR, bridgeCatchUp, CT_TEMPLATE, dicomFiles, orthancMetadataOnly, processCpuMs } from './bridge.js';
import { uploadInstances, waitForStableStudies } from './bridge/upload.js';
import { median } from './stats.js';

const STUDIES = 200;
const INSTANCES_PER_STUDY = 5;
const CONCURRENCY = 4;

/** The Orthanc child of this process (the harness does not expose its pid). */
function orthancPid(): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (name === 'Orthanc' && ppid === process.pid) return Number(entry);
    } catch {
      // A process that ended while the list was read is not ours to find.
      continue;
    }
  }
  throw new Error('no Orthanc child process found');
}

const selfCpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

async function main(): Promise<void> {
  const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
  const profDir = process.argv.find((a) => a.startsWith('--cpu-prof-dir='))?.slice('--cpu-prof-dir='.length);
  mkdirSync(BENCH_DIR, { recursive: true });
  const folder = join(BENCH_DIR, `bridge-backlog-${STUDIES}x${INSTANCES_PER_STUDY}`);
  const backlog = await generateCopies(CT_TEMPLATE, folder, { studies: STUDIES, seriesPerStudy: 1, instancesPerSeries: INSTANCES_PER_STUDY, seed: 'bridge-backlog' });
  const uids = backlog.studies.map((s) => s.studyInstanceUid);
  const orthanc = await startOrthanc({ stableAgeSeconds: 1 });
  const dataDirs: string[] = [];
  try {
    await uploadInstances(orthanc.url, await dicomFiles(folder));
    await waitForStableStudies(orthanc.url, uids.length);
    const pid = orthancPid();
    const session = new Session();
    if (profDir !== undefined) {
      mkdirSync(profDir, { recursive: true });
      session.connect();
      await session.post('Profiler.enable');
    }
    const bridgeMs: number[] = [];
    const orthancMs: number[] = [];
    /** The baseline as the bench measured it before: Node's fetch asking for gzip, which Orthanc compresses. */
    const gzipMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const dataDir = mkdtempSync(join(BENCH_DIR, 'catchup-data-'));
      dataDirs.push(dataDir);
      const load = loadavg()[0]?.toFixed(2);
      let orthancCpu = processCpuMs(pid);
      let ownCpu = selfCpuMs();
      if (profDir !== undefined) await session.post('Profiler.start');
      const b = await bridgeCatchUp(orthanc, dataDir, uids.length, CONCURRENCY);
      if (profDir !== undefined) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(join(profDir, `catchup-${round}.cpuprofile`), JSON.stringify(profile));
      }
      const bridgeOrthancCpu = processCpuMs(pid) - orthancCpu;
      const bridgeOwnCpu = selfCpuMs() - ownCpu;
      orthancCpu = processCpuMs(pid);
      ownCpu = selfCpuMs();
      const o = await orthancMetadataOnly(orthanc.dicomWebUrl, uids, CONCURRENCY);
      const aloneOrthancCpu = processCpuMs(pid) - orthancCpu;
      const aloneOwnCpu = selfCpuMs() - ownCpu;
      const gzipOrthancCpu = processCpuMs(pid);
      const g = await orthancMetadataOnly(orthanc.dicomWebUrl, uids, CONCURRENCY, 'gzip');
      gzipMs.push(g);
      bridgeMs.push(b);
      orthancMs.push(o);
      process.stdout.write(
        `round ${round}: load ${load}; bridge ${b.toFixed(0)} ms (Orthanc CPU ${bridgeOrthancCpu.toFixed(0)} ms, bridge process CPU ${bridgeOwnCpu.toFixed(0)} ms); ` +
          `Orthanc alone ${o.toFixed(0)} ms (Orthanc CPU ${aloneOrthancCpu.toFixed(0)} ms, client CPU ${aloneOwnCpu.toFixed(0)} ms); ratio ${(o / b).toFixed(2)}x; ` +
          `gzip-compressed ${g.toFixed(0)} ms (Orthanc CPU ${(processCpuMs(pid) - gzipOrthancCpu).toFixed(0)} ms)\n`,
      );
    }
    const ratio = median(orthancMs) / median(bridgeMs);
    process.stdout.write(
      `median: bridge ${median(bridgeMs).toFixed(0)} ms = ${(STUDIES / (median(bridgeMs) / 1000)).toFixed(1)} studies/s; ` +
        `Orthanc alone ${median(orthancMs).toFixed(0)} ms = ${(STUDIES / (median(orthancMs) / 1000)).toFixed(1)} studies/s; ratio ${ratio.toFixed(2)}x (target 0.9x); ` +
        `against the gzip-compressed baseline ${(median(gzipMs) / median(bridgeMs)).toFixed(2)}x\n`,
    );
  } finally {
    await orthanc.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
