/**
 * The bridge's pino logger. The code logs UIDs, ids and counts only; the redaction list is a
 * safety net for PHI (DICOM PS3.15 Annex E basic profile attributes: names, ids, birth dates)
 * and credentials that might still reach a log object by mistake.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { escapeControlCharactersDeep } from '../text/control-characters.js';

export type { Logger } from 'pino';

/** Paths pino replaces with `[redacted]`, at the top level and one object deep. */
export const REDACTED_PATHS: string[] = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'patientName',
  'patientId',
  'birthDate',
  'name',
  'identifier',
  'subject',
  'contained',
  'accession',
  'accessionNumber',
  'authorization',
  'password',
  'query',
  'headers',
].flatMap((key) => [key, `*.${key}`]);

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where to write; default stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

export function createLogger({ level = 'info', destination }: LoggerOptions = {}): Logger {
  const options = {
    level,
    base: { service: 'dicom2fhir' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // JSON escapes C0 control characters but not DEL and C1, which terminals also obey.
    formatters: { log: (record: Record<string, unknown>) => escapeControlCharactersDeep(record) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
