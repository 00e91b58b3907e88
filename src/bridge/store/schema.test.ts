import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from './schema.js';

describe('store migrations', () => {
  it('are numbered 1, 2, 3… without gaps, the last one being the schema version', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('bring a store of every earlier version to the latest one', () => {
    for (let from = 0; from <= SCHEMA_VERSION; from++) {
      const db = new BetterSqlite3(':memory:');
      migrate(db, from);
      expect(db.pragma('user_version', { simple: true })).toBe(from);
      migrate(db);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      db.close();
    }
  });

  it('refuses a store written by a newer schema', () => {
    const db = new BetterSqlite3(':memory:');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    expect(() => migrate(db)).toThrow(/newer than this program supports/);
    db.close();
  });
});
