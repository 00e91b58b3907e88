import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logLines } from '../../../test/support/server-fixtures.js';
import { createLogger } from '../../logging/index.js';
import { openAuditFile } from './audit-file.js';
import { auditReadiness, createAuditLog, type AuditEvent } from './audit-log.js';

const READ: AuditEvent = { who: 'dr-house', client: 'pacs-viewer', action: 'read', path: 'GET /ImagingStudy/1.2.3', studies: ['1.2.3'], outcome: 200 };

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'dicom2fhir-audit-')), 'audit.jsonl');
}

function fileLines(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('audit log', () => {
  it('writes each event to the log and to the file, appended after what the file held', async () => {
    const file = tempFile();
    const log = logLines();
    const first = createAuditLog({ logger: createLogger({ destination: log.destination }), file });
    first.record(READ);
    await first.close();
    const second = createAuditLog({ logger: createLogger({ destination: log.destination }), file });
    second.record({ ...READ, action: 'search', studies: [], parameters: ['patient:identifier', '_count'] });
    await second.flush();
    expect(fileLines(file)).toEqual([
      { time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), ...READ },
      expect.objectContaining({ action: 'search', parameters: ['patient:identifier', '_count'] }),
    ]);
    await second.close();
    expect(log.lines.map((l) => [l.msg, l.audit, l.who, l.action])).toEqual([
      ['audit', true, 'dr-house', 'read'],
      ['audit', true, 'dr-house', 'search'],
    ]);
  });

  it('reports a line it cannot write as an error, naming who and what but not losing the answer', async () => {
    const file = tempFile();
    const log = logLines();
    const audit = createAuditLog({ logger: createLogger({ destination: log.destination }), file });
    await audit.close();
    audit.record(READ);
    expect(log.lines.find((l) => l.level === 50)).toMatchObject({ msg: 'audit line could not be written to the audit file', who: 'dr-house', outcome: 200 });
  });

  it('reports a full disk in /readyz as audit-log-failing (degraded) and in the log', async () => {
    const log = logLines();
    const audit = createAuditLog({ logger: createLogger({ destination: log.destination }), file: '/dev/full' });
    expect(auditReadiness(audit)()).toBeUndefined();
    audit.record(READ);
    expect(auditReadiness(audit)()).toEqual({ code: 'audit-log-failing', impact: 'degraded', message: expect.stringMatching(/^audit lines reach the log only: writing to \/dev\/full failed: .*ENOSPC/) });
    expect(log.lines.map((l) => l.msg)).toEqual(['audit', 'audit line could not be written to the audit file']);
    await audit.close();
  });

  it('logs only without a file', async () => {
    const log = logLines();
    const audit = createAuditLog({ logger: createLogger({ destination: log.destination }) });
    audit.record(READ);
    await audit.flush();
    expect(log.lines).toHaveLength(1);
  });
});

describe('audit file', () => {
  it('has every line in the file as soon as append returns, and flush resolves once they are synced', async () => {
    const path = tempFile();
    const file = openAuditFile(path, {
      onSyncError: (error) => {
        throw error;
      },
    });
    for (let i = 0; i < 50; i++) {
      file.append(JSON.stringify({ n: i }));
      expect(fileLines(path)).toHaveLength(i + 1);
    }
    await file.flush();
    await file.flush();
    file.append('{"n":50}');
    await file.close();
    expect(fileLines(path).map((l) => l.n)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(() => file.append('{}')).toThrow(/closed/);
  });
});
