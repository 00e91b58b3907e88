/**
 * The last-read studies' stored JSON as the bytes the direct read sends, least recently used
 * first out, within a budget of bytes. An entry is only ever served for the version it was read
 * as: the caller looks up the current version first (an index read, no resource) and an entry of
 * another version is dropped, so an update or a deletion is never answered from here.
 */

/** Default budget: about 140 studies of 1,200 instances, or thousands of small ones. */
export const DEFAULT_STUDY_TEXT_CACHE_BYTES = 32 * 1024 * 1024;

import type { VersionHeaders } from '../routes/read.js';

/** One stored version, ready to send. */
export interface StudyText {
  versionId: number;
  /** `ETag` and `Last-Modified` of the version. */
  headers: VersionHeaders;
  body: Buffer;
}

export class StudyTextCache {
  /** Map order is use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, StudyText>();
  private bytes = 0;

  constructor(readonly maxBytes = DEFAULT_STUDY_TEXT_CACHE_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }

  /** The entry of `id` when it holds `versionId`; an entry of another version is dropped. */
  get(id: string, versionId: number): StudyText | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.versionId !== versionId) {
      this.delete(id);
      return undefined;
    }
    // Moved to the end: most recently used.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  /** Keeps `text` as the entry of `id`, evicting the least recently used beyond the budget. */
  set(id: string, text: StudyText): void {
    this.delete(id);
    if (text.body.length > this.maxBytes) return;
    this.entries.set(id, text);
    this.bytes += text.body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.bytes -= entry.body.length;
  }

  /** Entries held and their bytes, for tests and status. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
