/** Command-line options that publish a converted Bundle to a FHIR server, shared by every CLI command that can post. */
import type { Bundle } from 'fhir/r4';
import { FhirServerError } from './fhir-server-error.js';
import { postBundle } from './post-bundle.js';

/** `node:util` `parseArgs` option specs; spread them into a command's own `options`. */
export const postOptionSpecs = {
  post: { type: 'string' },
  'fhir-token': { type: 'string' },
  'fhir-username': { type: 'string' },
  'fhir-password': { type: 'string' },
  'fhir-timeout': { type: 'string' },
} as const;

/** Help lines for the options above, aligned like the other commands' help. */
export const postHelpLines: readonly string[] = [
  '  --post <url>              POST the transaction Bundle to this FHIR server base URL (needs --format bundle)',
  '  --fhir-token <token>      Bearer token for --post (default: env FHIR_SERVER_TOKEN)',
  '  --fhir-username <name>    HTTP Basic user name for --post (with --fhir-password)',
  '  --fhir-password <secret>  HTTP Basic password for --post (default: env FHIR_SERVER_PASSWORD)',
  '  --fhir-timeout <seconds>  Timeout of each request to the FHIR server (default 30)',
];

export interface PostOptionValues {
  post?: string;
  'fhir-token'?: string;
  'fhir-username'?: string;
  'fhir-password'?: string;
  'fhir-timeout'?: string;
}

export interface PostIo {
  stdout?: { write(text: string): unknown };
  env?: Record<string, string | undefined>;
}

function usageError(stderr: { write(text: string): unknown }, message: string): number {
  stderr.write(`dicom2fhir: ${message}\n`);
  return 2;
}

/**
 * Posts `bundle` as the options say and prints the transaction-response Bundle as JSON on stdout.
 * Exit codes: 0 posted, 1 the server refused or could not be reached (one paragraph on stderr,
 * with the server's OperationOutcome texts, no stack trace), 2 bad options.
 */
export async function runPost(
  bundle: Bundle,
  values: PostOptionValues,
  stderr: { write(text: string): unknown },
  io: PostIo = {},
): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const url = values.post;
  if (url === undefined || !/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) {
    return usageError(stderr, `--post needs an http(s) FHIR base URL, got '${url ?? ''}'`);
  }
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'transaction') {
    return usageError(stderr, '--post sends a transaction Bundle: add --format bundle');
  }
  let timeoutMs: number | undefined;
  if (values['fhir-timeout'] !== undefined) {
    const seconds = Number(values['fhir-timeout']);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      return usageError(stderr, `--fhir-timeout needs a positive number of seconds, got '${values['fhir-timeout']}'`);
    }
    timeoutMs = seconds * 1000;
  }
  const username = values['fhir-username'];
  const password = values['fhir-password'] ?? (username === undefined ? undefined : env.FHIR_SERVER_PASSWORD);
  const token = values['fhir-token'] ?? (username === undefined ? env.FHIR_SERVER_TOKEN : undefined);
  if (password !== undefined && username === undefined) {
    return usageError(stderr, '--fhir-password needs --fhir-username');
  }
  if (username !== undefined && password === undefined) {
    return usageError(stderr, '--fhir-username needs --fhir-password (or env FHIR_SERVER_PASSWORD)');
  }
  if (values['fhir-token'] !== undefined && username !== undefined) {
    return usageError(stderr, 'give either --fhir-token or --fhir-username/--fhir-password, not both');
  }
  try {
    const response = await postBundle(bundle, {
      url,
      ...(token === undefined ? {} : { token }),
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    stdout.write(JSON.stringify(response, null, 2) + '\n');
    return 0;
  } catch (error) {
    if (error instanceof FhirServerError) {
      stderr.write(`dicom2fhir: posting the Bundle failed. ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
