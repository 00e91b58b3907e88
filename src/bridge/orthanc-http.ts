/**
 * The HTTP client for Orthanc's own REST API (change log, study lookups, `IsStable`), shared by
 * the change feed and the stability gate:
 *
 * - kept-alive connections with the DICOMweb requests' agent (dicomweb/agent.ts): Orthanc 1.10
 *   closes idle connections after 1 s, and a new connection per request costs Orthanc a thread
 *   hand-off and the bridge a connect; a request that meets a connection reset before any answer
 *   (the server closed the idle socket as it was reused) is sent once more — every request sent
 *   here only reads;
 * - answers asked uncompressed (`Accept-Encoding: identity`): Orthanc compresses whatever a client
 *   accepts, and the bridge runs beside it, where gzip costs both processes CPU to save bandwidth
 *   the loopback or LAN does not lack (the WADO-RS metadata is read uncompressed too);
 * - no redirects followed (Orthanc's REST API answers in place), so axios calls `node:http`
 *   directly rather than through its redirect wrapper.
 */
import axios, { type AxiosInstance, type CreateAxiosDefaults, type InternalAxiosRequestConfig } from 'axios';
import { createKeepAliveAgent, isConnectionReset } from '../dicomweb/agent.js';

export interface OrthancHttpOptions {
  /** Orthanc REST root, e.g. `http://127.0.0.1:8042`. */
  baseURL: string;
  auth?: { username: string; password: string };
  timeoutMs: number;
  /** Further axios defaults of the caller (response handling, headers added to these). */
  defaults?: CreateAxiosDefaults;
}

interface RetriedConfig extends InternalAxiosRequestConfig {
  resetRetried?: boolean;
}

/** Connection errors that mean nothing listens at the URL (as opposed to a server that failed). */
const NOTHING_LISTENING = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** The error's code when it says nothing listens at the URL (so no Orthanc is there), else undefined. */
export function nothingListeningCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && NOTHING_LISTENING.has(code) ? code : undefined;
}

export function createOrthancHttp(options: OrthancHttpOptions): AxiosInstance {
  const agent = createKeepAliveAgent(new URL(options.baseURL).protocol);
  const { headers, ...defaults } = options.defaults ?? {};
  const http = axios.create({
    ...defaults,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    headers: { ...(headers as Record<string, string> | undefined), 'Accept-Encoding': 'identity' },
    httpAgent: agent,
    httpsAgent: agent,
    maxRedirects: 0,
  });
  http.interceptors.response.use(undefined, (error: unknown) => {
    if (axios.isAxiosError(error) && error.response === undefined && isConnectionReset(error) && error.config !== undefined) {
      const config = error.config as RetriedConfig;
      if (config.resetRetried !== true) {
        config.resetRetried = true;
        return http.request(config);
      }
    }
    throw error;
  });
  return http;
}
