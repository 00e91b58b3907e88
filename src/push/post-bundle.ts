/** One-shot publication of a study's transaction Bundle to a FHIR server (the `--post` option of the CLI). */
import type { Bundle } from 'fhir/r4';
import { createFhirClient, type FhirAuth } from './fhir-client.js';
import { checkIdentities, type IdentityCheckOptions } from './identity-check.js';
import { sendInSteps } from './transaction-steps.js';

/** Medplum's limit for transactions with conditional entries; other servers accept more, and lose nothing by steps. */
export const DEFAULT_MAX_TRANSACTION_ENTRIES = 8;

export interface PostBundleOptions {
  /** FHIR service base URL. */
  url: string;
  /** Bearer token (RFC 6750); exclusive with username/password. */
  token?: string;
  /** HTTP Basic credentials (RFC 7617). */
  username?: string;
  password?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Further tries on 429/5xx/network failures; default 3. */
  retries?: number;
  /** Patient mode and a person's confirmation of a subject change (SPEC §2.7). */
  identity?: IdentityCheckOptions;
  /** Larger study transactions are sent in dependent steps (Medplum refuses conditional transactions over 8); default 8. */
  maxTransactionEntries?: number;
}

/** Authentication from the options; throws on a half-given or double-given credential. */
export function authFromOptions(options: Pick<PostBundleOptions, 'token' | 'username' | 'password'>): FhirAuth | undefined {
  const hasBasic = options.username !== undefined || options.password !== undefined;
  if (options.token !== undefined && hasBasic) {
    throw new Error('give either a bearer token or a username and password, not both');
  }
  if (options.token !== undefined) {
    return { kind: 'bearer', token: options.token };
  }
  if (hasBasic) {
    if (options.username === undefined || options.password === undefined) {
      throw new Error('basic authentication needs both a username and a password');
    }
    return { kind: 'basic', username: options.username, password: options.password };
  }
  return undefined;
}

/**
 * Checks a study's transaction Bundle against the server (SPEC §2.7, see `checkIdentities`), then
 * POSTs it to the server base (FHIR R4 http.html#transaction) and returns the
 * transaction-response Bundle. Every entry is conditional, so posting the same study twice
 * changes nothing — which is also what makes retrying after a timeout safe. A refusal throws
 * `IdentityRefusal` before anything is written; server failures throw `FhirServerError`.
 */
export async function postBundle(bundle: Bundle, options: PostBundleOptions): Promise<Bundle> {
  if (bundle.resourceType !== 'Bundle' || (bundle.type !== 'transaction' && bundle.type !== 'batch')) {
    throw new Error(`only a transaction or batch Bundle can be posted, got ${bundle.resourceType}${bundle.type ? ` of type ${bundle.type}` : ''}`);
  }
  const auth = authFromOptions(options);
  const client = createFhirClient({
    baseUrl: options.url,
    ...(auth === undefined ? {} : { auth }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.retries === undefined ? {} : { retries: options.retries }),
  });
  if (bundle.type !== 'transaction') return client.transaction(bundle);
  const checked = await checkIdentities(bundle, client.search, options.identity);
  return sendInSteps(checked, (step) => client.transaction(step), options.maxTransactionEntries ?? DEFAULT_MAX_TRANSACTION_ENTRIES);
}
