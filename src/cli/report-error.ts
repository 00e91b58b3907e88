/** Turns an error that ended a command into stderr lines and an exit code. */
import { ConversionError } from '../convert/errors.js';
import { FolderError } from '../folder/errors.js';
import { escapeControlCharacters } from '../text/control-characters.js';
import { UsageError } from './usage-error.js';

export interface ErrorSink {
  write(text: string): unknown;
}

/**
 * Input errors (bad options, a missing folder, no DICOM, several studies) exit 2 with the message
 * and a hint; anything else exits 1 with its message, and its stack only when DEBUG is set,
 * because a stack trace tells a user nothing they can act on.
 */
export function reportError(command: string, error: unknown, stderr: ErrorSink, env: Record<string, string | undefined> = process.env): number {
  const prefix = `dicom2fhir ${command}: `;
  if (error instanceof UsageError) {
    stderr.write(`${prefix}${escapeControlCharacters(error.message)}\n`);
    if (error.hint !== undefined) stderr.write(`  hint: ${escapeControlCharacters(error.hint)}\n`);
    stderr.write(`  run 'dicom2fhir ${command} --help' for the options\n`);
    return 2;
  }
  if (error instanceof FolderError || error instanceof ConversionError) {
    stderr.write(`${prefix}${escapeControlCharacters(error.message)}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`${prefix}unexpected error: ${escapeControlCharacters(message)}\n`);
  if (env.DEBUG !== undefined && env.DEBUG !== '' && error instanceof Error && error.stack !== undefined) {
    stderr.write(`${error.stack}\n`);
  }
  return 1;
}
