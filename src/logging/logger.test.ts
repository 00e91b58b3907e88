import { rawLogText } from '../../test/support/server-fixtures.js';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('escapes control characters, C1 and DEL included, in every string of a record', () => {
    const { text, destination } = rawLogText();
    createLogger({ destination }).warn({ uid: '1.2\u00013\u009b', nested: { error: 'x\u007f\u001b[2J' } }, 'sync failed');
    const line = text.join('');
    expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(line)).toMatchObject({ uid: '1.2\\x013\\x9b', nested: { error: 'x\\x7f\\x1b[2J' }, msg: 'sync failed' });
  });

  it('still redacts patient data', () => {
    const { text, destination } = rawLogText();
    createLogger({ destination }).info({ PatientName: 'Doe^Jane', study: { patientId: 'P-1' } }, 'x');
    expect(JSON.parse(text.join(''))).toMatchObject({ PatientName: '[redacted]', study: { patientId: '[redacted]' } });
  });
});
