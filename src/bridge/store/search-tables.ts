/**
 * Writes the search index rows (`search-index.ts`) and the instance index (`instance-index.ts`)
 * of one study into their tables (created by migration 2 of `schema.ts`). A study's rows are
 * replaced as a whole when it gets a new version and removed when it is deleted, inside the
 * caller's transaction.
 */
import type { Database } from 'better-sqlite3';
import type { ImagingStudy } from '../../convert/options.js';
import type { InstanceIndexEntry } from './instance-index.js';
import { extractSearchIndex } from './search-index.js';

export interface SearchTables {
  /** Replaces the study's token, string and presence rows with those of `resource`. */
  writeResource(studyId: string, resource: ImagingStudy): void;
  /** Replaces the study's instance index. */
  writeInstances(studyId: string, entries: readonly InstanceIndexEntry[]): void;
  instanceCount(studyId: string): number;
  /** Removes every row of the study (a tombstone is not searchable). */
  clear(studyId: string): void;
}

export function searchTables(db: Database): SearchTables {
  const deleteTokens = db.prepare('DELETE FROM study_tokens WHERE study_id = ?');
  const deleteStrings = db.prepare('DELETE FROM study_strings WHERE study_id = ?');
  const deletePresent = db.prepare('DELETE FROM study_elements WHERE study_id = ?');
  const deleteInstances = db.prepare('DELETE FROM study_instances WHERE study_id = ?');
  const insertToken = db.prepare('INSERT INTO study_tokens (study_id, param, system, code) VALUES (?, ?, ?, ?)');
  const insertString = db.prepare('INSERT INTO study_strings (study_id, param, value, normalized) VALUES (?, ?, ?, ?)');
  const insertPresent = db.prepare('INSERT OR IGNORE INTO study_elements (study_id, param) VALUES (?, ?)');
  const insertInstance = db.prepare('INSERT INTO study_instances (study_id, series_uid, sop_instance_uid, sop_class_uid) VALUES (?, ?, ?, ?)');
  const countInstances = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM study_instances WHERE study_id = ?');

  return {
    writeResource(studyId, resource) {
      deleteTokens.run(studyId);
      deleteStrings.run(studyId);
      deletePresent.run(studyId);
      const rows = extractSearchIndex(resource);
      for (const row of rows.tokens) insertToken.run(studyId, row.param, row.system, row.code);
      for (const row of rows.strings) insertString.run(studyId, row.param, row.value, row.normalized);
      for (const param of rows.present) insertPresent.run(studyId, param);
    },
    writeInstances(studyId, entries) {
      deleteInstances.run(studyId);
      for (const entry of entries) insertInstance.run(studyId, entry.seriesUid, entry.sopInstanceUid, entry.sopClassUid ?? null);
    },
    instanceCount: (studyId) => countInstances.get(studyId)?.n ?? 0,
    clear(studyId) {
      deleteTokens.run(studyId);
      deleteStrings.run(studyId);
      deletePresent.run(studyId);
      deleteInstances.run(studyId);
    },
  };
}
