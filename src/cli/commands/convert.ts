/** `dicom2fhir convert <dir>`: a folder of DICOM files to FHIR JSON on stdout or in a file, or posted to a FHIR server. */
import { parseArgs } from 'node:util';
import type { Bundle } from 'fhir/r4';
import { convertFolder } from '../../folder/convert-folder.js';
import { parsePostOptions, postHelpLines, postOptionSpecs } from '../../push/post-options.js';
import { combineOutputs } from '../combine-outputs.js';
import { OUTPUT_OPTIONS, OUTPUT_OPTIONS_HELP, toConvertOptions, writeOutput, type OutputStream } from '../output-options.js';
import { createProgress } from '../progress.js';
import { reportError } from '../report-error.js';
import { formatIssues, formatSummary } from '../summary.js';
import { escapeControlCharacters } from '../../text/control-characters.js';
import { UsageError } from '../usage-error.js';

/** The command's parseArgs specs: the shared output and publishing options plus the folder's own. */
export const CONVERT_OPTIONS = {
  ...OUTPUT_OPTIONS,
  ...postOptionSpecs,
  split: { type: 'boolean' },
  endpoint: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONVERT_HELP: string = [
  'Usage: dicom2fhir convert <dir> [options]',
  '',
  'Reads every file under <dir> (recursively, whatever the extension), skips files that are not',
  'DICOM, DICOMDIR files and files without a Study Instance UID, and converts the study to FHIR.',
  'The JSON goes to standard output; a one-line summary and any warnings go to standard error.',
  '',
  'Options:',
  ...OUTPUT_OPTIONS_HELP,
  '  --split                  convert every study in <dir> instead of stopping when there are',
  '                           several (default: off, several studies are an error). Output: with',
  '                           --format imagingstudy a Bundle of type collection holding one',
  '                           ImagingStudy per study; with --format bundle ONE transaction Bundle',
  "                           holding every study's entries, deduplicated by fullUrl (two studies",
  '                           of one patient share the Patient entry)',
  '  --endpoint <url>         DICOMweb (WADO-RS) base URL where clients fetch this study: adds an',
  '                           Endpoint (default: none; a local folder is never an endpoint)',
  ...postHelpLines,
  '  -h, --help               show this help',
  '',
  'With --post, each study is first checked against the server (identity rules: Patient and order',
  'matched only by identifiers with a system, birth date and sex compared, a study already linked',
  'to another patient not moved); a refusal names its reason code and writes nothing.',
  '',
  'Exit codes: 0 converted (and posted); 2 input error (folder missing, no DICOM found, several',
  'studies without --split, bad option value); 1 a study was refused by the identity rules, the',
  'FHIR server refused the Bundle or could not be reached (--post), or an unexpected error (set',
  'DEBUG=1 for a stack trace).',
].join('\n');

/** `--endpoint`: an absolute http(s) URL, kept without trailing slash. */
function dicomWebBaseUrl(value: string): string {
  const text = value.trim();
  if (/^https?:\/\/[^/]/i.test(text) && URL.canParse(text)) return text.replace(/\/+$/, '');
  throw new UsageError(`--endpoint needs the http(s) base URL of a DICOMweb server, got '${value}'`, 'for example: --endpoint https://pacs.example.org/dicom-web');
}

export interface ConvertIo {
  stderr: { isTTY?: boolean; columns?: number; write(text: string): unknown };
  stdout: OutputStream & { write(text: string): unknown };
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: CONVERT_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export async function run(argv: string[], io: ConvertIo = { stderr: process.stderr, stdout: process.stdout }): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help === true) {
      io.stdout.write(CONVERT_HELP + '\n');
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0 ? 'missing <dir>: the folder to convert' : `expected one folder, got ${positionals.length}: ${positionals.join(' ')}`,
        'dicom2fhir convert <dir> [options]',
      );
    }
    const dir = positionals[0] as string;
    const split = values.split === true;
    const post = values.post === undefined ? undefined : parsePostOptions(values);
    if (typeof post === 'string') throw new UsageError(post);
    if (post !== undefined && values.format !== undefined && values.format.trim().toLowerCase() !== 'bundle') {
      throw new UsageError(`--post sends a transaction Bundle, not --format ${values.format}`, 'leave out --format, or give --format bundle');
    }
    const options = toConvertOptions(post === undefined ? values : { ...values, format: 'bundle' });
    if (values.endpoint !== undefined) options.endpoint = { kind: 'dicomweb', baseUrl: dicomWebBaseUrl(values.endpoint) };
    if (values['allow-subject-change'] === true && post === undefined) {
      throw new UsageError('--allow-subject-change confirms a change on a FHIR server: it needs --post');
    }
    // What is posted refers to the Patient by a conditional create; the server check enforces the
    // mode (an `existing`-mode Bundle written to a file uses a conditional reference instead).
    const patientMode = options.patientMode ?? 'create';
    if (post !== undefined) options.patientMode = 'create';

    const progress = createProgress(io.stderr);
    let result;
    try {
      result = await convertFolder(dir, { ...options, split, onProgress: (done, total) => progress.update(done, total) });
    } finally {
      progress.finish();
    }

    const combined = split ? combineOutputs(result.outputs, options.format ?? 'imagingstudy') : undefined;
    const json = combined?.json ?? (result.outputs[0]?.resource as unknown);
    if (post === undefined || values.out !== undefined) await writeOutput(json, values.out, io.stdout);

    io.stderr.write(formatSummary(result.outputs, result.skipped, split) + '\n');
    for (const line of formatIssues(result.outputs)) io.stderr.write(line + '\n');
    for (const url of combined?.conflicts ?? []) {
      io.stderr.write(`warning: entry ${escapeControlCharacters(url)} differs between studies; the first study's entry was kept\n`);
    }
    if (post === undefined) return 0;
    // Loaded only when posting, so a plain conversion does not start the HTTP client. Each study
    // is checked and posted on its own: the identity checks are per study.
    const { postTransaction } = await import('../../push/cli-options.js');
    const target = { ...post, identity: { ...post.identity, patientMode } };
    let code = 0;
    for (const output of result.outputs) {
      code = Math.max(code, await postTransaction(output.resource as Bundle, target, io.stderr, io.stdout));
    }
    return code;
  } catch (error) {
    return reportError('convert', error, io.stderr);
  }
}
