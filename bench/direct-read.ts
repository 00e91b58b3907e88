/**
 * `npx tsx bench/direct-read.ts`: what the checksum costs the direct read. The direct read takes a
 * study's stored JSON bytes from the store (`getJson`) when its cache misses; since the store
 * verifies a CRC-32 of those bytes (and joins the row that holds it), this compares, in one
 * process and interleaved rounds, `getJson` against the bare statement the read used before the
 * checksum existed, for a small and a large study. A cache hit (most reads) checks nothing again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagingStudy } from 'fhir/r4';
import { openStudyStore } from '../src/bridge/store/index.js';
import { formatMachine, machineDetails } from './machine.js';

const ROUNDS = Number(process.env.BENCH_REPEATS ?? 5);
const STUDIES = 40;

function study(uid: string, instances: number): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    id: uid,
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${uid}` }],
    status: 'available',
    subject: { reference: '#patient.contained.inline' },
    numberOfSeries: 1,
    numberOfInstances: instances,
    series: [
      {
        uid: `${uid}.1`,
        number: 1,
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
        instance: Array.from({ length: instances }, (_, i) => ({
          uid: `${uid}.1.${i + 1}`,
          sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
          number: i + 1,
          title: 'ORIGINAL\\PRIMARY\\AXIAL',
        })),
      },
    ],
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function main(): void {
  console.log(formatMachine(machineDetails()));
  const dir = mkdtempSync(join(tmpdir(), 'd2f-bench-direct-read-'));
  const store = openStudyStore(dir);
  const bare = store.database.prepare<[string], { version_id: number; last_updated: string; deleted: number; resource: Buffer | null }>(
    'SELECT version_id, last_updated, deleted, CAST(resource AS BLOB) AS resource FROM studies WHERE id = ?',
  );
  try {
    for (const [label, instances] of [['small (60 instances)', 60], ['large (3,000 instances)', 3000]] as const) {
      const ids = Array.from({ length: STUDIES }, (_, i) => `2.25.${instances}${String(i).padStart(4, '0')}`);
      for (const id of ids) store.put(study(id, instances));
      const bytes = store.getJson(ids[0]!)?.json?.length ?? 0;
      const reads = Math.max(200, Math.round(200_000_000 / bytes / 10));
      const before: number[] = [];
      const after: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const [times, read] of [
          [before, (id: string) => bare.get(id)?.resource?.length ?? 0],
          [after, (id: string) => store.getJson(id)?.json?.length ?? 0],
        ] as const) {
          let total = 0;
          const started = process.hrtime.bigint();
          for (let i = 0; i < reads; i++) total += read(ids[i % ids.length]!);
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          if (total === 0) throw new Error('nothing read');
          times.push(ms / reads);
        }
      }
      const [b, a] = [median(before), median(after)];
      console.log(
        `${label}, ${(bytes / 1024).toFixed(0)} KiB: before ${(1000 / b).toFixed(0)} reads/s (${(bytes / b / 1e3).toFixed(0)} MB/s), ` +
          `with checksum ${(1000 / a).toFixed(0)} reads/s (${(bytes / a / 1e3).toFixed(0)} MB/s): ${(((a - b) / b) * 100).toFixed(0)}% more time per uncached read ` +
          `(${(b * 1000).toFixed(1)} → ${(a * 1000).toFixed(1)} µs), median of ${ROUNDS} rounds of ${reads}`,
      );
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
