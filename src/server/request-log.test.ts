import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { logLines } from '../../test/support/server-fixtures.js';
import { createLogger } from '../logging/index.js';
import { createRequestLog } from './request-log.js';

function capture(): { lines: Array<Record<string, unknown>>; logger: ReturnType<typeof createLogger> } {
  const { lines, destination } = logLines();
  return { lines, logger: createLogger({ destination }).child({ component: 'http' }) };
}

describe('request log', () => {
  it('writes method, path, status and milliseconds once the answer is finished', () => {
    const { lines, logger } = capture();
    const res = Object.assign(new EventEmitter(), { statusCode: 404 }) as unknown as ServerResponse;
    createRequestLog(logger)('HEAD', '/ImagingStudy/1.2.3', res);
    expect(lines).toEqual([]);
    res.emit('finish');
    res.emit('finish');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, component: 'http', msg: 'request', method: 'HEAD', path: '/ImagingStudy/1.2.3', status: 404 });
    expect(typeof lines[0]?.ms).toBe('number');
  });

  it('leaves the PHI redaction of every other line of the same logger in place', () => {
    const { lines, logger } = capture();
    createRequestLog(logger);
    logger.info({ PatientName: 'DOE^JANE', study: { patientId: 'MRN123' } }, 'stored');
    expect(lines[0]).toMatchObject({ PatientName: '[redacted]', study: { patientId: '[redacted]' } });
  });
});
