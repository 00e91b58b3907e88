/**
 * FHIR REST client of the push path, on fhir-kit-client: authentication, a timeout per request,
 * retries with backoff on 429/5xx/network failures, and every failure as a `FhirServerError`.
 */
import { Client } from 'fhir-kit-client';
import type { Bundle, Resource } from 'fhir/r4';
import { FhirServerError, operationOutcomeIssues } from './fhir-server-error.js';
import { isRetryableStatus, parseRetryAfter, retryDelay, type BackoffPolicy } from './retry.js';

export type FhirAuth = { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

export interface FhirClientOptions {
  /** Service base URL (FHIR R4 http.html#root), e.g. `https://fhir.example.org/fhir`. */
  baseUrl: string;
  auth?: FhirAuth;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Further tries after the first one for retryable failures; default 3. */
  retries?: number;
  backoff?: BackoffPolicy;
  /** Injected for tests; default `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => Date;
  /** Told about each retry (for logs: status and delay only). */
  onRetry?: (event: { attempt: number; delayMs: number; status?: number }) => void;
}

/** The two interactions the product needs; also the contract the outbox is written against. */
export interface FhirClient {
  readonly baseUrl: string;
  /** POSTs a transaction Bundle to the base (FHIR R4 http.html#transaction); returns the transaction-response. */
  transaction(bundle: Bundle): Promise<Bundle>;
  /** `DELETE [base]/[type]?[query]` (FHIR R4 http.html#3.1.0.7.1 conditional delete); no match is success. */
  conditionalDelete(resourceType: string, query: Record<string, string>): Promise<void>;
  /**
   * `GET [base]/[type]?[query]&_count=10` (FHIR R4 http.html#search): the matching resources of
   * the first page (`query` is already encoded, e.g. an `ifNoneExist` string). Enough to tell no
   * match, one, and several apart.
   */
  search(resourceType: string, query: string): Promise<Resource[]>;
}

type KitBundle = Parameters<Client['transaction']>[0]['body'];

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface KitResponseError {
  response: { status: number; data: unknown };
  config?: { headers?: Headers };
}

function isKitResponseError(error: unknown): error is KitResponseError {
  return typeof error === 'object' && error !== null && typeof (error as KitResponseError).response?.status === 'number';
}

function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'no answer before the timeout';
  }
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) {
    return cause.code;
  }
  if (cause?.message) {
    return cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function basicCredentials(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** Creates a client; it holds no mutable state, so one instance may serve concurrent callers. */
export function createFhirClient(options: FhirClientOptions): FhirClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 3;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const sleep = options.sleep ?? sleepFor;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const headers: Record<string, string> = {};
  if (options.auth?.kind === 'bearer') {
    headers.authorization = `Bearer ${options.auth.token}`;
  } else if (options.auth?.kind === 'basic') {
    headers.authorization = `Basic ${basicCredentials(options.auth.username, options.auth.password)}`;
  }
  const kit = new Client({ baseUrl, customHeaders: headers });

  /** One interaction with retries; `label` names it in error messages (never PHI: type and method only). */
  async function withRetries<T>(label: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let failure: FhirServerError;
      try {
        return await call(AbortSignal.timeout(timeoutMs));
      } catch (error) {
        failure = toFhirServerError(error, label, attempt);
      }
      if (!failure.retryable || attempt > retries) {
        throw failure;
      }
      const delayMs = retryDelay(attempt, backoff, random, failure.retryAfterMs);
      options.onRetry?.({ attempt, delayMs, ...(failure.status === undefined ? {} : { status: failure.status }) });
      await sleep(delayMs);
    }
  }

  function toFhirServerError(error: unknown, label: string, attempts: number): FhirServerError {
    const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    if (isKitResponseError(error)) {
      const { status, data } = error.response;
      const issues = operationOutcomeIssues(data);
      const retryAfterMs = parseRetryAfter(error.config?.headers?.get('retry-after'), now());
      const said = issues.length > 0 ? `: ${issues.join('; ')}` : typeof data === 'string' && data !== '' ? `: ${data.slice(0, 300)}` : '';
      return new FhirServerError(`FHIR server ${baseUrl} answered ${status} to ${label} (${tries})${said}`, {
        status,
        issues,
        retryable: isRetryableStatus(status),
        attempts,
        cause: error,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    return new FhirServerError(`FHIR server ${baseUrl} could not be reached for ${label} (${tries}): ${networkReason(error)}`, {
      retryable: true,
      attempts,
      cause: error,
    });
  }

  return {
    baseUrl,
    async transaction(bundle) {
      // POST [base] exactly: fhir-kit-client's own transaction() appends a slash some servers route differently.
      const response = await withRetries('the transaction', (signal) =>
        kit.httpClient.post(baseUrl, bundle as unknown as KitBundle, { signal }),
      );
      return response as unknown as Bundle;
    },
    async search(resourceType, query) {
      const response = (await withRetries(`GET ${resourceType}?…`, (signal) =>
        kit.httpClient.get(`${resourceType}?${query}&_count=10`, { signal }),
      )) as unknown as Bundle;
      return (response.entry ?? [])
        .filter((e) => e.search?.mode === undefined || e.search.mode === 'match')
        .map((e) => e.resource)
        .filter((r): r is Resource => r !== undefined && r.resourceType === resourceType);
    },
    async conditionalDelete(resourceType, query) {
      const search = new URLSearchParams(query).toString();
      try {
        await withRetries(`DELETE ${resourceType}?…`, (signal) =>
          kit.request(`${resourceType}?${search}`, { method: 'DELETE', options: { signal } }),
        );
      } catch (error) {
        // Servers differ on a conditional delete that matches nothing: 200/204 (HAPI, Medplum)
        // or 404/410. Either way the resource is not there, which is what was asked.
        if (error instanceof FhirServerError && (error.status === 404 || error.status === 410)) {
          return;
        }
        throw error;
      }
    },
  };
}
