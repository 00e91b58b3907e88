/** Posting a converted Bundle from the command line: the server's answer on stdout, its refusal as one paragraph. */
import type { Bundle } from 'fhir/r4';
import { escapeControlCharacters } from '../text/control-characters.js';
import { FhirServerError } from './fhir-server-error.js';
import { IdentityRefusal } from './identity-refusal.js';
import { postBundle, type PostBundleOptions } from './post-bundle.js';
import { parsePostOptions, type PostOptionValues } from './post-options.js';

export interface PostIo {
  stdout?: { write(text: string): unknown };
  env?: Record<string, string | undefined>;
}

function usageError(stderr: { write(text: string): unknown }, message: string): number {
  stderr.write(`dicom2fhir: ${escapeControlCharacters(message)}\n`);
  return 2;
}

/**
 * Posts `bundle` to `target` and prints the transaction-response Bundle as JSON on stdout.
 * Exit codes: 0 posted, 1 refused by the identity rules (one paragraph with the reason code,
 * nothing written), or the server refused or could not be reached (one paragraph on stderr,
 * with the server's OperationOutcome texts, no stack trace), 2 not a transaction Bundle.
 */
export async function postTransaction(
  bundle: Bundle,
  target: PostBundleOptions,
  stderr: { write(text: string): unknown },
  stdout: { write(text: string): unknown } = process.stdout,
): Promise<number> {
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'transaction') {
    return usageError(stderr, '--post sends a transaction Bundle: add --format bundle');
  }
  try {
    const response = await postBundle(bundle, target);
    stdout.write(JSON.stringify(response, null, 2) + '\n');
    return 0;
  } catch (error) {
    if (error instanceof IdentityRefusal) {
      stderr.write(`dicom2fhir: not posted (${error.code}): ${error.message}. Nothing was written to the FHIR server.\n`);
      return 1;
    }
    if (error instanceof FhirServerError) {
      stderr.write(`dicom2fhir: posting the Bundle failed. ${escapeControlCharacters(error.message)}\n`);
      return 1;
    }
    throw error;
  }
}

/** {@link parsePostOptions} then {@link postTransaction}; bad options exit 2. */
export async function runPost(
  bundle: Bundle,
  values: PostOptionValues,
  stderr: { write(text: string): unknown },
  io: PostIo = {},
): Promise<number> {
  const target = parsePostOptions(values, io.env ?? process.env);
  if (typeof target === 'string') {
    return usageError(stderr, target);
  }
  return postTransaction(bundle, target, stderr, io.stdout ?? process.stdout);
}
