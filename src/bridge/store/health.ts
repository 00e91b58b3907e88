/**
 * The store's own view of its health, kept from the outcome of every store call: which faults are
 * active (full disk, lock held elsewhere, unreadable file, damaged file) and which studies were
 * found corrupted. A fault clears itself when a later call of the same kind succeeds — a full
 * disk only when a write succeeds — so the bridge recovers without a restart once the cause is
 * gone. `/readyz` reports the active faults (503); for the two only a write clears, it tries a
 * small write itself (see readiness.ts).
 */
import { StoreCorruptionError, type StoreError, type StoreFaultCode } from './faults.js';

/** A `/readyz` reason (see src/server/routes/health.ts), built here without depending on the server. */
export interface StoreCondition {
  code: StoreFaultCode;
  impact: 'unavailable';
  message: string;
}

const ADVICE: Record<StoreFaultCode, string> = {
  'store-full': 'the disk of DATA_DIR is full; writes are retried and resume once space is freed',
  'store-locked': 'another process holds a lock on the store; calls are retried',
  'store-unavailable': 'the store cannot be used',
  'store-corrupt': 'the store file is damaged (SQLite reports corruption); restore DATA_DIR from a backup',
};

export class StoreHealth {
  private readonly active = new Map<StoreFaultCode, string>();
  /** Study id → Study Instance UID of studies whose stored bytes failed their check. */
  private readonly corrupt = new Map<string, string>();
  private readonly corruptionListeners: Array<(studyInstanceUid: string) => void> = [];
  private integrityProblems: string | undefined;

  /** Records a failed call. A corrupted study is remembered until it is stored again. */
  failed(error: StoreError): void {
    if (error instanceof StoreCorruptionError) {
      this.corrupt.set(error.studyId, error.studyInstanceUid);
      for (const listener of this.corruptionListeners) listener(error.studyInstanceUid);
      return;
    }
    this.active.set(error.code, error.message);
  }

  /**
   * Records a successful call: it proves the store usable, and — for a write — neither full nor
   * locked (another process's write lock still lets reads through, so only a write clears it).
   */
  succeeded(kind: 'read' | 'write'): void {
    this.active.delete('store-unavailable');
    if (kind === 'write') {
      this.active.delete('store-full');
      this.active.delete('store-locked');
    }
  }

  /** The study was written again: its stored bytes are sound. */
  repaired(studyId: string): void {
    this.corrupt.delete(studyId);
  }

  isCorrupt(studyId: string): boolean {
    return this.corrupt.has(studyId);
  }

  /** `PRAGMA quick_check` found problems at open (kept until a restart finds none). */
  integrityFailed(summary: string): void {
    this.integrityProblems = summary;
  }

  /** Called at each read that finds a study corrupted (the bridge re-syncs it from the image source; the sync queue dedupes). */
  onCorruption(listener: (studyInstanceUid: string) => void): void {
    this.corruptionListeners.push(listener);
  }

  has(code: StoreFaultCode): boolean {
    return this.active.has(code);
  }

  conditions(): StoreCondition[] {
    const conditions: StoreCondition[] = [];
    for (const [code, detail] of this.active) conditions.push({ code, impact: 'unavailable', message: `${ADVICE[code]} (${detail})` });
    if (this.integrityProblems !== undefined) {
      conditions.push({ code: 'store-corrupt', impact: 'unavailable', message: `PRAGMA quick_check at start: ${this.integrityProblems}; restore DATA_DIR from a backup` });
    }
    if (this.corrupt.size > 0) {
      conditions.push({
        code: 'store-corrupt',
        impact: 'unavailable',
        message: `${this.corrupt.size} stored studies failed their checksum; they answer 500 until re-synced from the image source`,
      });
    }
    return conditions;
  }
}
