/**
 * A small GET of Orthanc's REST API over `node:http`, for the request the bridge makes once per
 * synced study (`IsStable` of `GET /studies/{id}`). axios, which the change feed keeps for its
 * few requests a page, spends more of the bridge's CPU per request than the request itself
 * (config merging, header objects, proxy lookups: about a tenth of the bridge's busy time in a
 * 200-study catch-up profile). The same connection rules as orthanc-http.ts: the kept-alive
 * agent, answers asked uncompressed, one retry after a reset before any answer.
 */
import http, { type Agent, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createKeepAliveAgent, isConnectionReset, ResetBeforeAnswer, sendRetryingReset } from '../dicomweb/agent.js';

export interface OrthancGetOptions {
  /** Orthanc REST root, e.g. `http://127.0.0.1:8042`. */
  baseURL: string;
  auth?: { username: string; password: string };
  timeoutMs: number;
}

export interface OrthancAnswer {
  status: number;
  body: string;
}

export type OrthancGet = (path: string) => Promise<OrthancAnswer>;

export function createOrthancGet(options: OrthancGetOptions): OrthancGet {
  const base = options.baseURL.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const agent: Agent = createKeepAliveAgent(secure ? 'https:' : 'http:');
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Encoding': 'identity' };
  if (options.auth !== undefined) headers.Authorization = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;

  function once(url: string): Promise<OrthancAnswer> {
    return new Promise<OrthancAnswer>((resolve, reject) => {
      let answered = false;
      const request = (secure ? https : http).get(url, { agent, headers, timeout: options.timeoutMs }, (response: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) => {
        reject(!answered && isConnectionReset(error) ? new ResetBeforeAnswer(error) : error);
      });
    });
  }

  return (path) => {
    const url = `${base}${path}`;
    return sendRetryingReset(() => once(url), (reset) => reset.cause);
  };
}
