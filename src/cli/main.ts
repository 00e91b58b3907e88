#!/usr/bin/env node
/** Entry point of the `dicom2fhir` command: dispatches to one module per sub-command. */
import { fileURLToPath } from 'node:url';
import { escapeControlCharacters } from '../text/control-characters.js';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  convert: {
    summary: 'Convert a folder of DICOM files to a FHIR ImagingStudy',
    load: () => import('./commands/convert.js'),
  },
  fetch: {
    summary: 'Convert one study fetched from a DICOMweb server (WADO-RS)',
    load: () => import('./commands/fetch.js'),
  },
  serve: {
    summary: 'Run the Orthanc bridge and its FHIR read API',
    load: () => import('./commands/serve.js'),
  },
};

export function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(9)}${c.summary}`);
  return [
    'Usage: dicom2fhir <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `dicom2fhir <command> --help` for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { version } = await import('../version.js');
    process.stdout.write(version + '\n');
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`dicom2fhir: unknown command '${escapeControlCharacters(name)}'\n\n${usage()}\n`);
    return 2;
  }
  const module = await command.load();
  return module.run(rest);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`dicom2fhir: unexpected error: ${escapeControlCharacters(error instanceof Error ? error.message : String(error))}\n`);
      process.exitCode = 1;
    },
  );
}
