/**
 * `npm run bench`: machine details, then each benchmark suite, then the figures against the
 * product's targets. Suites live in their own modules (`folder.ts`; a bridge suite can sit
 * beside it) and return plain results; this file only prints.
 */
import { formatAccessResults, runAccessSuite } from './access.js';
import { formatBridgeResults, runBridgeSuite } from './bridge.js';
import { runFolderSuite, type FolderSizeResult } from './folder.js';
import { formatHugeResults, runHugeSuite } from './huge.js';
import { formatSearchResults, runSearchSuite } from './search.js';
import { formatMachine, machineDetails } from './machine.js';
import { median } from './stats.js';
import { formatInt, formatTable } from './table.js';

const TARGET_INSTANCES_PER_SEC = 20_000;
const TARGET_PEAK_RSS_MIB = 256;
/** Per-instance time at 12,000 over that at 1,200; above this, growth is not linear. */
const TARGET_GROWTH_RATIO = 1.25;
/** The whole CLI process against pydicom reading the same headers. */
const TARGET_PYDICOM_RATIO = 20;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function folderTable(results: readonly FolderSizeResult[]): string {
  return formatTable(
    [
      'instances',
      '(a) 16KiB reads files/s',
      '(b) headers files/s',
      '(c) convertStudy inst/s',
      '(d) convertFolder inst/s',
      'CPU µs/inst (b) (c) (d)',
      '(e) CLI peak RSS MiB',
      'CLI wall s',
    ],
    results.map((r) => [
      formatInt(r.instances),
      formatInt(r.baselineFilesPerSec),
      formatInt(r.headerFilesPerSec),
      formatInt(r.convertInstancesPerSec),
      formatInt(r.folderInstancesPerSec),
      [r.headerCpuMicros, r.convertCpuMicros, r.folderCpuMicros].map((us) => us.toFixed(0)).join(' / '),
      r.cliPeakRssMiB === undefined ? '-' : r.cliPeakRssMiB.toFixed(0),
      r.cliMs === undefined ? '-' : (r.cliMs / 1000).toFixed(2),
    ]),
  );
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

function targets(results: readonly FolderSizeResult[]): string[] {
  const lines: string[] = [];
  const largest = results[results.length - 1];
  const smallest = results[0];
  if (largest === undefined || smallest === undefined) return lines;
  lines.push(
    `conversion >= ${formatInt(TARGET_INSTANCES_PER_SEC)} instances/s at ${formatInt(largest.instances)}: ` +
      `convertFolder ${formatInt(largest.folderInstancesPerSec)} (${verdict(largest.folderInstancesPerSec >= TARGET_INSTANCES_PER_SEC)}), ` +
      `convertStudy ${formatInt(largest.convertInstancesPerSec)} (${verdict(largest.convertInstancesPerSec >= TARGET_INSTANCES_PER_SEC)})`,
  );
  lines.push(
    `CPU cost of convertFolder at ${formatInt(largest.instances)}: ${largest.folderCpuMicros.toFixed(0)} µs/instance ` +
      `(all threads) = ${formatInt(1e6 / largest.folderCpuMicros)} instances per CPU-second; less sensitive to load than wall time`,
  );
  if (largest.cliPeakRssMiB !== undefined) {
    lines.push(
      `peak RSS <= ${TARGET_PEAK_RSS_MIB} MiB at ${formatInt(largest.instances)}: ${largest.cliPeakRssMiB.toFixed(0)} MiB ` +
        `(${verdict(largest.cliPeakRssMiB <= TARGET_PEAK_RSS_MIB)})`,
    );
  }
  const pydicom = largest.pydicom;
  if (pydicom !== undefined) {
    const cli = median(pydicom.cliMs);
    const lazy = median(pydicom.lazyMs) / cli;
    const decode = median(pydicom.decodeMs) / cli;
    lines.push(
      `CLI >= ${TARGET_PYDICOM_RATIO}x pydicom at ${formatInt(largest.instances)} (whole processes, median of alternated runs): ` +
        `CLI ${(cli / 1000).toFixed(2)} s; pydicom dcmread ${(median(pydicom.lazyMs) / 1000).toFixed(1)} s = ${lazy.toFixed(1)}x (${verdict(lazy >= TARGET_PYDICOM_RATIO)}), ` +
        `dcmread + reading the mapped values ${(median(pydicom.decodeMs) / 1000).toFixed(1)} s = ${decode.toFixed(1)}x (${verdict(decode >= TARGET_PYDICOM_RATIO)})`,
    );
  }
  if (largest !== smallest) {
    const ratio = largest.folderMs / largest.instances / (smallest.folderMs / smallest.instances);
    const cpuRatio = largest.folderCpuMicros / smallest.folderCpuMicros;
    lines.push(
      `linear growth: per-instance convertFolder time ${formatInt(largest.instances)} vs ${formatInt(smallest.instances)} = ` +
        `${ratio.toFixed(2)}x wall (${verdict(ratio <= TARGET_GROWTH_RATIO)}), ${cpuRatio.toFixed(2)}x CPU ` +
        `(${verdict(cpuRatio <= TARGET_GROWTH_RATIO)}); target <= ${TARGET_GROWTH_RATIO}`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const repeats = Number(process.env.BENCH_REPEATS ?? 5);
  console.log(formatMachine(machineDetails()));
  console.log(`repeats per figure: ${repeats} (median reported)\n`);
  // `npm run bench -- bridge` runs the named suites only; no name runs all.
  const suites = ['folder', 'bridge', 'access', 'huge', 'search'];
  const selected = process.argv.slice(2);
  const unknown = selected.filter((name) => !suites.includes(name));
  if (unknown.length > 0) throw new Error(`unknown suite ${unknown.join(', ')}; suites: ${suites.join(', ')}`);
  const wanted = (name: string): boolean => selected.length === 0 || selected.includes(name);
  if (wanted('folder')) await folderSuite(repeats);
  if (wanted('bridge')) {
    const bridge = await runBridgeSuite({
      repeats,
      largeInstances: 1_200,
      backlogStudies: 200,
      backlogInstancesPerStudy: 5,
      syncConcurrency: 4,
      connections: 32,
      loadSeconds: 5,
      loadRounds: 3,
      log,
    });
    console.log('\nBridge against a real Orthanc (copies of CT_small.dcm)');
    for (const line of formatBridgeResults(bridge)) console.log(line);
  }
  if (wanted('access')) {
    const access = await runAccessSuite({ rounds: repeats, connections: 32, loadSeconds: 5, log });
    console.log('\nAccess check and audit line on the direct read (one process serving, one loading)');
    for (const line of formatAccessResults(access)) console.log(line);
  }
  if (wanted('huge')) {
    // Minutes per run: Orthanc alone needs about a minute to produce this study's metadata.
    const huge = await runHugeSuite({ instances: Number(process.env.BENCH_HUGE_INSTANCES ?? 30_000), series: 4, repeats: Number(process.env.BENCH_HUGE_REPEATS ?? 1), log });
    console.log('\nHuge study against a real Orthanc (copies of CT_small.dcm)');
    for (const line of formatHugeResults(huge)) console.log(line);
  }
  if (wanted('search')) {
    const search = await runSearchSuite({ studies: 2_000, instancesPerStudy: 4, repeats, log });
    console.log('\nFHIR search over the store (median of the repeats)');
    for (const line of formatSearchResults(search)) console.log(line);
  }
}

async function folderSuite(repeats: number): Promise<void> {
  const folder = await runFolderSuite({
    sizes: [1_200, 12_000],
    seriesPerStudy: 4,
    repeats,
    rssSizes: [1_200, 12_000],
    pydicomSizes: [12_000],
    log,
  });
  console.log('Folder converter (copies of CT_small.dcm, 4 series)');
  console.log(folderTable(folder));
  console.log('\nTargets');
  for (const line of targets(folder)) console.log(`- ${line}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
