/**
 * The audit trail of the read API: one structured line per read, search or admin request — who
 * (the token's subject or client, "api-token" or "anonymous"), what (the study ids answered, which
 * are the Study Instance UIDs; for a search the names of its parameters, never their values) and
 * the outcome (HTTP status). No patient data: values of search parameters can be patient ids or
 * accession numbers, so only their names are kept. Lines go to the log (`"audit": true`) and, when
 * a file is configured, to that file as JSON lines (see `audit-file.ts`).
 */
import type { Logger } from 'pino';
import { errorText } from '../error-text.js';
import type { ReadinessCheck } from '../routes/health.js';
import { openAuditFile, type AuditFile } from './audit-file.js';

export type AuditAction = 'read' | 'vread' | 'history' | 'search' | 'admin';

export interface AuditEvent {
  who: string;
  /** The OAuth client, when the token names one. */
  client?: string;
  action: AuditAction;
  /** Method and path without the query string. */
  path: string;
  /** Ids of the studies in the answer. */
  studies: readonly string[];
  /** Names of the search parameters given. */
  parameters?: readonly string[];
  /** HTTP status of the answer. */
  outcome: number;
  /** Why access was refused (`invalid_token`, `insufficient_scope`, `no_credentials`). */
  reason?: string;
  /** The connection closed before the whole answer was sent. */
  aborted?: boolean;
}

export interface AuditLog {
  record(event: AuditEvent): void;
  /** Why the audit file is failing (its last write or sync failed), or undefined while it works. */
  problem(): string | undefined;
  /** Resolves when every line so far is durable in the audit file (at once without one). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  logger: Logger;
  /** Append-only JSON-lines file, synced to disk. */
  file?: string;
}

export function createAuditLog({ logger, file }: AuditLogOptions): AuditLog {
  // The event holds names, UIDs and numbers only; skipping pino's redaction keeps this off the hot path's bill.
  const lines = logger.child({ audit: true }, { redact: [] });
  let problem: string | undefined;
  const target: AuditFile | undefined =
    file === undefined
      ? undefined
      : openAuditFile(file, {
          onSyncError: (error) => {
            problem = `syncing ${file} failed: ${errorText(error)}`;
            logger.error({ file, error: errorText(error) }, 'audit file sync failed');
          },
          onSynced: () => {
            problem = undefined;
          },
        });
  return {
    record(event) {
      lines.info(event, 'audit');
      if (target === undefined) return;
      try {
        target.append(JSON.stringify({ time: new Date().toISOString(), ...event }));
      } catch (error) {
        // The answer is already on its way; the failure is reported loudly where operators look, and in /readyz.
        problem = `writing to ${file} failed: ${errorText(error)}`;
        logger.error({ file, error: errorText(error), who: event.who, action: event.action, outcome: event.outcome }, 'audit line could not be written to the audit file');
      }
    },
    problem: () => problem,
    flush: () => target?.flush() ?? Promise.resolve(),
    close: () => target?.close() ?? Promise.resolve(),
  };
}

/**
 * `/readyz` reason `audit-log-failing` (degraded): reads are still answered, but their audit lines
 * reach only the log until the file can be written and synced again (disk full, volume gone).
 */
export function auditReadiness(audit: Pick<AuditLog, 'problem'>): ReadinessCheck {
  return () => {
    const problem = audit.problem();
    return problem === undefined ? undefined : { code: 'audit-log-failing', impact: 'degraded', message: `audit lines reach the log only: ${problem}` };
  };
}
