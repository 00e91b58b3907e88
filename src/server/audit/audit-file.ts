/**
 * An append-only audit file. Each line is written to the file with one `write(2)` before `append`
 * returns, so a crash of the process loses nothing once the answer was sent; `fdatasync(2)` then
 * follows in the background, one at a time, covering every line written before it started (group
 * commit), so durability against power loss costs the request path no wait.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync, writeSync } from 'node:fs';

export interface AuditFile {
  /** Writes one line; throws when the write fails (disk full, file system gone). */
  append(line: string): void;
  /** Resolves when every line appended so far is synced; rejects when that sync fails. */
  flush(): Promise<void>;
  /** Waits for the running sync, syncs the rest and closes the file. */
  close(): Promise<void>;
}

interface Waiter {
  upTo: number;
  resolve(): void;
  reject(error: Error): void;
}

export interface AuditFileEvents {
  onSyncError(error: Error): void;
  /** A sync succeeded: every line written before it is durable. */
  onSynced?(): void;
}

/** EINVAL: the file is a device or pipe that cannot be synced (fdatasync(2)); nothing is lost by skipping it. */
function unsyncable(error: NodeJS.ErrnoException | null): boolean {
  return error?.code === 'EINVAL';
}

export function openAuditFile(path: string, events: AuditFileEvents): AuditFile {
  const fd = openSync(path, 'a', 0o600);
  let written = 0;
  let synced = 0;
  let running: Promise<void> | undefined;
  let closed = false;
  let waiters: Waiter[] = [];

  function settle(error: Error | null): void {
    const due = error === null ? waiters.filter((w) => w.upTo <= synced) : waiters;
    waiters = waiters.filter((w) => !due.includes(w));
    for (const w of due) {
      if (error === null) w.resolve();
      else w.reject(error);
    }
  }

  function syncSoon(): void {
    if (running !== undefined || closed || synced === written) return;
    const upTo = written;
    running = new Promise<void>((done) => {
      fdatasync(fd, (failure) => {
        running = undefined;
        const error = unsyncable(failure) ? null : failure;
        if (error === null) {
          synced = upTo;
          events.onSynced?.();
        } else events.onSyncError(error);
        settle(error);
        done();
        if (error === null) syncSoon();
      });
    });
  }

  return {
    append(line) {
      if (closed) throw new Error(`The audit file ${path} is closed`);
      writeSync(fd, `${line}\n`);
      written += 1;
      syncSoon();
    },
    flush() {
      if (synced === written) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ upTo: written, resolve, reject });
        syncSoon();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await running;
      try {
        fdatasyncSync(fd);
        synced = written;
        settle(null);
      } catch (error) {
        if (!unsyncable(error as NodeJS.ErrnoException)) {
          events.onSyncError(error as Error);
          settle(error as Error);
        } else {
          synced = written;
          settle(null);
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}
