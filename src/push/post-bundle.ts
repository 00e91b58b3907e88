/** One-shot publication of a transaction Bundle to a FHIR server (the `--post` option of the CLI). */
import type { Bundle } from 'fhir/r4';
import { createFhirClient, type FhirAuth } from './fhir-client.js';

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
 * POSTs a transaction Bundle to the server base (FHIR R4 http.html#transaction) and returns the
 * transaction-response Bundle. The converter's Bundle uses conditional create/update by
 * identifier, so posting the same study twice updates rather than duplicates — which is also
 * what makes retrying after a timeout safe. Failures throw `FhirServerError`.
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
  return client.transaction(bundle);
}
