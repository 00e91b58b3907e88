/**
 * A configured DICOMweb client: dicomweb-client's `api.DICOMwebClient` plus the settings every
 * request needs (authentication header, timeout). The object is immutable after creation;
 * credentials are fixed headers, never changed between calls.
 */
import type { Agent } from 'node:http';
import dicomweb from 'dicomweb-client';
import { createKeepAliveAgent } from './agent.js';
import { DicomWebError } from './errors.js';
import { xmlHttpRequestConstructor, type XMLHttpRequestLike } from './xhr.js';

export type DICOMwebApiClient = InstanceType<typeof dicomweb.api.DICOMwebClient>;

export interface DicomWebClientOptions {
  /** DICOMweb service root, e.g. `http://orthanc:8042/dicom-web` (trailing slashes ignored). */
  baseUrl: string;
  /** HTTP Basic authentication (RFC 7617); needs `password`. */
  username?: string;
  password?: string;
  /** OAuth 2 bearer token (RFC 6750); exclusive with username/password. */
  bearerToken?: string;
  /**
   * Milliseconds without any data from the server before a request fails (an inactivity
   * timeout, so a large but flowing metadata answer is not cut off). Default 60 000.
   */
  timeoutMs?: number;
  /**
   * Milliseconds a streamed metadata request may wait for the server to start answering; default
   * 600 000. Orthanc builds a whole metadata answer before it sends its first byte (~2 ms per
   * instance: more than a minute for 30,000), so the inactivity timeout cannot apply until then.
   */
  answerTimeoutMs?: number;
}

export interface DicomWebClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly answerTimeoutMs: number;
  readonly api: DICOMwebApiClient;
  /** The authentication header of every request (empty without credentials); never logged. */
  readonly headers: Readonly<Record<string, string>>;
  /** Keep-alive connections of the streamed metadata requests (`stream-get.ts`). */
  readonly agent: Agent;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_ANSWER_TIMEOUT_MS = 600_000;

function normalizeBaseUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch (cause) {
    throw new TypeError(`DICOMweb base URL is not a valid URL: ${raw}`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`DICOMweb base URL must use http or https: ${raw}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new TypeError('DICOMweb base URL must not contain credentials; pass username/password instead');
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new TypeError(`DICOMweb base URL must not have a query or fragment: ${raw}`);
  }
  return parsed.href.replace(/\/+$/, '');
}

function authorizationHeader(options: DicomWebClientOptions): Record<string, string> {
  const basic = options.username !== undefined || options.password !== undefined;
  if (basic && options.bearerToken !== undefined) {
    throw new TypeError('use either username/password or a bearer token, not both');
  }
  if (basic) {
    if (options.username === undefined || options.password === undefined) {
      throw new TypeError('HTTP Basic authentication needs both a username and a password');
    }
    const token = Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64');
    return { Authorization: `Basic ${token}` };
  }
  if (options.bearerToken !== undefined) return { Authorization: `Bearer ${options.bearerToken}` };
  return {};
}

export function createDicomWebClient(options: DicomWebClientOptions): DicomWebClient {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  const answerTimeoutMs = Math.max(timeoutMs, options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS);
  if (!Number.isInteger(answerTimeoutMs)) throw new TypeError(`answerTimeoutMs must be a positive integer, got ${options.answerTimeoutMs}`);
  xmlHttpRequestConstructor();
  // dicomweb-client stores username/password but never sends them, hence the explicit header.
  // verbose: false because it would print whole XHR objects to the console on every error;
  // failures are reported once, as DicomWebError, by the caller.
  const headers = Object.freeze(authorizationHeader(options));
  const api = new dicomweb.api.DICOMwebClient({
    url: baseUrl,
    headers: { ...headers },
    verbose: false,
    singlepart: false,
  });
  const agent = createKeepAliveAgent(new URL(baseUrl).protocol);
  return Object.freeze({ baseUrl, timeoutMs, answerTimeoutMs, api, headers, agent });
}

/** What dicomweb-client attaches to a rejected request (`error.status`, `error.response`). */
interface DicomWebClientRejection extends Error {
  status: unknown;
}

function isClientRejection(value: unknown): value is DicomWebClientRejection {
  return value instanceof Error && 'status' in value && !(value instanceof DicomWebError);
}

/**
 * Runs one dicomweb-client call on a fresh XHR instance carrying the timeout, and turns any
 * failure into a DicomWebError. dicomweb-client reports a timeout and a refused connection alike
 * (status 0), so the instance's own events tell them apart. Its rejection is deliberately not
 * kept as `cause`: it carries the XHR (with the Authorization header) and the response body
 * (which may name the patient), and error serializers in loggers walk `cause`.
 */
export async function runRequest<T>(
  client: DicomWebClient,
  url: string,
  operation: string,
  call: (request: { instance: XMLHttpRequestLike }) => Promise<T>,
): Promise<T> {
  const Xhr = xmlHttpRequestConstructor();
  const instance = new Xhr();
  instance.timeout = client.timeoutMs;
  let transportFailure: 'timeout' | 'network' | undefined;
  instance.addEventListener('timeout', () => {
    transportFailure = 'timeout';
  });
  instance.addEventListener('error', () => {
    transportFailure ??= 'network';
  });
  try {
    return await call({ instance });
  } catch (cause) {
    if (!isClientRejection(cause)) throw cause;
    const { status } = cause;
    if (typeof status === 'number' && status >= 100) {
      throw new DicomWebError(`${operation} failed: ${url} answered HTTP ${status}`, {
        failure: 'http',
        url,
        status,
      });
    }
    if (transportFailure === 'timeout') {
      throw new DicomWebError(
        `${operation} failed: no answer from ${url} within ${client.timeoutMs} ms`,
        { failure: 'timeout', url },
      );
    }
    throw new DicomWebError(
      `${operation} failed: cannot reach ${url} (connection refused, reset or name not resolved)`,
      { failure: 'network', url },
    );
  }
}
