/**
 * Search suite: a store of converted studies (several patients, modalities, dates), then the
 * median time of typical FHIR searches through the store, against a baseline read of one study
 * by id in the same process; and the time migration 2 takes to index an older store's studies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { ImagingStudy } from 'fhir/r4';
import { openStudyStore, STORE_FILE_NAME } from '../src/bridge/store/index.js';
import { migrate } from '../src/bridge/store/schema.js';
import type { StudySearch } from '../src/bridge/types.js';
import { convertStudy } from '../src/convert/index.js';
import { parseStudySearch } from '../src/server/search/parse.js';
import { instanceUidOf, searchStudyDatasets } from '../test/support/search-studies.js';
import { median, timeRuns } from './stats.js';

export interface SearchSuiteOptions {
  studies: number;
  instancesPerStudy: number;
  repeats: number;
  log: (line: string) => void;
}

export interface SearchResultRow {
  query: string;
  matches: number;
  medianMs: number;
}

export interface SearchSuiteResult {
  studies: number;
  putPerSec: number;
  baselineMs: number;
  rows: SearchResultRow[];
  backfillMs: number;
}

const uidOf = (i: number): string => `1.2.826.0.1.3680043.8.498.77.${i}`;

function resourceOf(i: number, instances: number): ImagingStudy {
  const month = String(1 + (i % 12)).padStart(2, '0');
  return convertStudy(
    searchStudyDatasets({
      uid: uidOf(i),
      patientId: `PID-${i % 500}`,
      patientIssuer: i % 2 === 0 ? '1.2.826.0.1.3680043.8.498.1001' : '1.2.826.0.1.3680043.8.498.1002',
      accession: `ACC-${i}`,
      modality: ['CT', 'MR', 'US', 'CR'][i % 4],
      date: `2024${month}15`,
      bodyPart: i % 3 === 0 ? 'CHEST' : 'HEAD',
      referrer: i % 5 === 0 ? 'Müller^Hans' : 'Smith^Anna',
      instances,
    }),
  ).resource as ImagingStudy;
}

export async function runSearchSuite(options: SearchSuiteOptions): Promise<SearchSuiteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-bench-search-'));
  try {
    const store = openStudyStore(dir);
    options.log(`search: storing ${options.studies} studies`);
    const started = performance.now();
    for (let i = 0; i < options.studies; i += 1) store.put(resourceOf(i, options.instancesPerStudy));
    const putPerSec = options.studies / ((performance.now() - started) / 1000);
    const queries = [
      `patient:identifier=urn:oid:1.2.826.0.1.3680043.8.498.1001|PID-42`,
      'patient.identifier=PID-42',
      'modality=CT&started=ge2024-03-01&started=lt2024-06-01',
      `instance=${instanceUidOf(uidOf(Math.floor(options.studies / 2)), 1)}`,
      'bodysite=http://snomed.info/sct|43799004&referrer.name=mull',
      '_sort=-_lastUpdated&_count=20',
      `_count=20&_offset=${options.studies - 20}`,
      '_summary=count&modality=MR',
      '_total=none&_count=20',
    ];
    const search = (query: string): StudySearch => {
      const params: Record<string, string[]> = {};
      for (const [name, value] of new URLSearchParams(query.replace(/\|/g, '%7C'))) (params[name] ??= []).push(value);
      return parseStudySearch(params).search;
    };
    const baseline = await timeRuns(options.repeats * 20, () => store.get(uidOf(7)));
    const rows: SearchResultRow[] = [];
    for (const query of queries) {
      const parsed = search(query);
      const result = store.search(parsed);
      const runs = await timeRuns(options.repeats, () => store.search(parsed));
      rows.push({ query, matches: result.total ?? result.studies.length, medianMs: median(runs.wallMs) });
    }
    store.close();

    // The same studies in a store as version 1 of the schema left it, then migration 2 alone over them.
    const older = new BetterSqlite3(join(dir, 'older.sqlite'));
    migrate(older, 1);
    older.exec(`ATTACH DATABASE '${join(dir, STORE_FILE_NAME).replace(/'/g, "''")}' AS current`);
    older.exec(
      `INSERT INTO studies (id, study_uid, version_id, last_updated, deleted, content_hash, started, started_sort, resource)
       SELECT id, study_uid, version_id, last_updated, deleted, content_hash, started, started_sort, resource FROM current.studies`,
    );
    older.exec('DETACH DATABASE current');
    const backfillStart = performance.now();
    migrate(older, 2);
    const backfillMs = performance.now() - backfillStart;
    older.close();
    return { studies: options.studies, putPerSec, baselineMs: median(baseline.wallMs), rows, backfillMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatSearchResults(result: SearchSuiteResult): string[] {
  const lines = [
    `${result.studies} studies stored at ${result.putPerSec.toFixed(0)} studies/s (one fsync each)`,
    `baseline: read one study by id (parsed) ${result.baselineMs.toFixed(3)} ms`,
  ];
  for (const row of result.rows) lines.push(`${row.medianMs.toFixed(2).padStart(8)} ms  ${String(row.matches).padStart(6)} matches  ${row.query}`);
  lines.push(`migration 2 indexing ${result.studies} stored studies: ${(result.backfillMs / 1000).toFixed(2)} s`);
  return lines;
}
