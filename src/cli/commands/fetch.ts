/** `dicom2fhir fetch <StudyInstanceUID> --url <base>`: one study from a DICOMweb server to FHIR JSON. */
import { parseArgs } from 'node:util';
import { OUTPUT_OPTIONS, OUTPUT_OPTIONS_HELP, toConvertOptions, writeOutput } from '../output-options.js';
import { escapeControlCharacters } from '../../text/control-characters.js';
import { reportError } from '../report-error.js';
import { formatIssues } from '../summary.js';
import { UsageError } from '../usage-error.js';

/** The command's parseArgs specs: the shared output options plus the server's. */
export const FETCH_OPTIONS = {
  ...OUTPUT_OPTIONS,
  url: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const FETCH_HELP: string = [
  'Usage: dicom2fhir fetch <StudyInstanceUID> --url <DICOMweb base URL> [options]',
  '',
  "Reads the study's WADO-RS metadata from a DICOMweb server as a stream (GET",
  '<url>/studies/<uid>/series/<series>/metadata, two series at once, after listing the series',
  'over QIDO-RS; GET <url>/studies/<uid>/metadata for a single series), keeping of each instance',
  'only what the converter reads, so a study of any size fits in memory. Then converts it with',
  "the same converter as `convert`. The ImagingStudy's endpoint is the DICOMweb base URL. The",
  'JSON goes to standard output; a one-line summary and any warnings go to standard error.',
  '',
  'Options:',
  '  --url <url>              DICOMweb service root, e.g. http://localhost:8042/dicom-web (required)',
  '  --username <user>        HTTP Basic authentication user (with --password)',
  '  --password <password>    HTTP Basic password; default: $DICOM2FHIR_DICOMWEB_PASSWORD',
  '                           (the variable keeps it out of the process list)',
  '  --token <token>          OAuth bearer token; default: $DICOM2FHIR_DICOMWEB_TOKEN',
  '  --timeout <seconds>      give up when the server sends nothing for this long (default: 60);',
  '                           the wait for a metadata answer to start is at least 10 minutes, as',
  '                           Orthanc builds the whole answer first (~2 ms per instance)',
  ...OUTPUT_OPTIONS_HELP,
  '  -h, --help               show this help',
  '',
  'Exit codes: 0 converted; 2 input error (invalid UID, study not found on the server, credentials',
  'refused, bad option value); 1 unexpected error (server unreachable, timeout, server error).',
].join('\n');

export interface FetchIo {
  stderr: { write(text: string): unknown };
  stdout: { write(text: string): unknown };
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: FETCH_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`--timeout must be a positive number of seconds, got '${value}'`, 'for example: --timeout 120');
  }
  return Math.max(1, Math.round(seconds * 1000));
}

/** Non-empty value or undefined, so an exported-but-empty variable does not count as set. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export async function run(
  argv: string[],
  io: FetchIo = { stderr: process.stderr, stdout: process.stdout },
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help === true) {
      io.stdout.write(FETCH_HELP + '\n');
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? 'missing <StudyInstanceUID>: the study to fetch'
          : `expected one Study Instance UID, got ${positionals.length}`,
        'dicom2fhir fetch <StudyInstanceUID> --url <DICOMweb base URL>',
      );
    }
    const uid = (positionals[0] as string).trim();
    if (values.url === undefined || values.url.trim() === '') {
      throw new UsageError('missing --url: the DICOMweb base URL', 'for example: --url http://localhost:8042/dicom-web');
    }
    const password = values.password ?? nonEmpty(env.DICOM2FHIR_DICOMWEB_PASSWORD);
    const token = values.token ?? (values.username === undefined ? nonEmpty(env.DICOM2FHIR_DICOMWEB_TOKEN) : undefined);
    if (values.username !== undefined && password === undefined) {
      throw new UsageError('--username needs --password (or $DICOM2FHIR_DICOMWEB_PASSWORD)');
    }
    if (values.username === undefined && values.password !== undefined) {
      throw new UsageError('--password needs --username');
    }
    if (values.username !== undefined && values.token !== undefined) {
      throw new UsageError('use either --username/--password or --token, not both');
    }
    const timeoutMs = parseTimeout(values.timeout);
    const options = toConvertOptions(values);

    // Loaded only now so `--help` and option errors answer without loading the HTTP stack.
    const dicomweb = await import('../../dicomweb/index.js');
    if (!dicomweb.isValidUid(uid)) {
      throw new UsageError(
        'the Study Instance UID is not a valid DICOM UID',
        'a UID is digits separated by dots, at most 64 characters, e.g. 1.2.840.113619.2.55.3',
      );
    }
    let client;
    try {
      client = dicomweb.createDicomWebClient({
        baseUrl: values.url.trim(),
        ...(values.username !== undefined ? { username: values.username, password } : {}),
        ...(token !== undefined ? { bearerToken: token } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
    } catch (error) {
      if (error instanceof TypeError) throw new UsageError(`--url: ${error.message}`, 'for example: --url http://localhost:8042/dicom-web');
      throw error;
    }

    // The converter loads while the server assembles the metadata, so its start-up cost is
    // hidden behind the requests.
    const [fetched, { convertStudy }] = await Promise.all([
      dicomweb.fetchStudyDatasets(client, uid).then(
        (datasets) => ({ datasets, error: undefined }),
        (error: unknown) => {
          if (error instanceof dicomweb.DicomWebError) return { datasets: undefined, error };
          throw error;
        },
      ),
      import('../../convert/index.js'),
    ]);
    if (fetched.error !== undefined) return reportServerError(fetched.error, io.stderr);
    const { datasets } = fetched;
    if (datasets === undefined || datasets.length === 0) {
      throw new UsageError(
        `study ${uid} not found at ${client.baseUrl}`,
        'check the UID, or list the studies with GET <url>/studies',
      );
    }

    const conversion = convertStudy(datasets, { ...options, endpoint: { kind: 'dicomweb', baseUrl: client.baseUrl } });
    await writeOutput(conversion.resource, values.out);

    io.stderr.write(
      `${conversion.numberOfInstances} instance${conversion.numberOfInstances === 1 ? '' : 's'} in ${conversion.numberOfSeries} series from ${client.baseUrl}\n`,
    );
    for (const line of formatIssues([conversion])) io.stderr.write(`${line}\n`);
    return 0;
  } catch (error) {
    return reportError('fetch', error, io.stderr);
  }
}

/**
 * One paragraph, no stack: a refused credential is the caller's input (exit 2); an unreachable,
 * slow or failing server is not (exit 1).
 */
function reportServerError(
  error: { message: string; failure: string; status: number | undefined },
  stderr: FetchIo['stderr'],
): number {
  const prefix = 'dicom2fhir fetch: ';
  if (error.status === 401 || error.status === 403) {
    stderr.write(`${prefix}${escapeControlCharacters(error.message)}. The server refused the credentials; check --username/--password or --token.\n`);
    return 2;
  }
  const advice =
    error.failure === 'network'
      ? 'Check that the server is running and that --url is right.'
      : error.failure === 'timeout'
        ? 'The server may be overloaded; retry, or raise --timeout.'
        : error.failure === 'invalid-response'
          ? 'Check that --url is the DICOMweb root (for Orthanc: http://host:8042/dicom-web).'
          : error.failure === 'truncated'
            ? 'The server or the network stopped the answer before its end; retry, and see the server\'s log.'
            : error.failure === 'too-large'
              ? "One instance's metadata is larger than the converter holds at once; see the server's log."
              : "See the server's log for the cause.";
  stderr.write(`${prefix}${escapeControlCharacters(error.message)}. ${advice}\n`);
  return 1;
}
