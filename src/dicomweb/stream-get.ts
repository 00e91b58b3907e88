/**
 * One streamed DICOMweb GET: the body goes chunk by chunk to a reader, never into one string.
 *
 * dicomweb-client (through an XMLHttpRequest) hands a body over only once it is complete, as one
 * string then one parsed value: V8 cannot hold a string beyond ~512 MB (a 27,000-instance study's
 * metadata), and even well below it the string, `JSON.parse` of it and their garbage cost more
 * than the download. So metadata is read with Node's own HTTP client; dicomweb-client keeps QIDO
 * and the small requests.
 */
// The modules, not their `request` functions: looked up at each call, as interceptors (nock) expect.
import http, { type IncomingMessage, type ClientRequest } from 'node:http';
import https from 'node:https';
import { isConnectionReset, ResetBeforeAnswer, sendRetryingReset } from './agent.js';
import type { DicomWebClient } from './client.js';
import { DatasetStreamError } from './dataset-stream.js';
import { DicomWebError } from './errors.js';

/** What receives the body: `push` per chunk, `end` once it is complete; either may throw. */
export interface BodySink {
  push(chunk: Buffer): void;
  end(): void;
  /** Bytes consumed so far and complete datasets, for messages about a cut-off answer. */
  readonly bytes: number;
  readonly count: number;
}

export type StreamOutcome = 'read' | 'not-found';

function sinkError(operation: string, url: string, contentType: string, error: DatasetStreamError): DicomWebError {
  switch (error.problem) {
    case 'not-json':
      return new DicomWebError(`${operation} failed: ${url} did not answer with JSON (Content-Type ${contentType || 'none'}): ${error.message}`, {
        failure: 'invalid-response',
        url,
      });
    case 'not-datasets':
      return new DicomWebError(`${operation} failed: ${url} did not answer with a JSON array of DICOM datasets: ${error.message}`, {
        failure: 'invalid-response',
        url,
      });
    case 'too-large':
      return new DicomWebError(`${operation} failed: ${url} answered too large a dataset: ${error.message}`, { failure: 'too-large', url });
    case 'truncated':
      return new DicomWebError(`${operation} failed: the answer of ${url} was cut off: ${error.message}`, { failure: 'truncated', url });
  }
}

/**
 * `GET url` with `Accept: application/dicom+json`, retried once when the server resets a
 * connection before answering (a kept-alive socket it closed meanwhile: the GET is idempotent
 * and nothing was read yet). A reset after the answer began is not retried: part of the body
 * went to the sink already.
 *
 * @returns `not-found` for 404 (nothing pushed), `read` once the sink has taken the whole body
 *   (a 204 No Content pushes an empty array).
 * @throws DicomWebError: `http` for another status, `timeout` when no byte came within the
 *   client's timeout, `network`, `truncated` when the connection closed mid-body, and the
 *   sink's problems (`invalid-response`, `too-large`, `truncated`).
 */
export function streamGet(client: DicomWebClient, url: string, operation: string, sink: BodySink): Promise<StreamOutcome> {
  return sendRetryingReset(() => streamOnce(client, url, operation, sink), () => networkError(operation, url));
}

function networkError(operation: string, url: string): DicomWebError {
  return new DicomWebError(`${operation} failed: cannot reach ${url} (connection refused, reset or name not resolved)`, { failure: 'network', url });
}

function streamOnce(client: DicomWebClient, url: string, operation: string, sink: BodySink): Promise<StreamOutcome> {
  return new Promise<StreamOutcome>((resolve, reject) => {
    let settled = false;
    let answered = false;
    let req: ClientRequest | undefined;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error);
      req?.destroy();
    };
    const succeed = (outcome: StreamOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const options = {
      method: 'GET',
      agent: client.agent,
      // Until the answer starts, the server may still be building it (see `answerTimeoutMs`).
      timeout: client.answerTimeoutMs,
      headers: { ...client.headers, Accept: 'application/dicom+json' },
    };
    req = url.startsWith('https:') ? https.request(url, options) : http.request(url, options);
    req.on('timeout', () => {
      fail(
        answered
          ? new DicomWebError(`${operation} failed: ${url} sent nothing for ${client.timeoutMs} ms after ${sink.bytes} bytes (${sink.count} complete datasets)`, {
              failure: 'timeout',
              url,
            })
          : new DicomWebError(`${operation} failed: no answer from ${url} within ${client.answerTimeoutMs} ms`, { failure: 'timeout', url }),
      );
    });
    req.on('error', (error: unknown) => {
      if (settled) return;
      if (!answered && isConnectionReset(error)) fail(new ResetBeforeAnswer(error));
      else if (answered) fail(cutOff(operation, url, sink));
      else fail(networkError(operation, url));
    });
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      // From now on bytes flow: the inactivity timeout applies.
      req?.setTimeout(client.timeoutMs);
      const status = res.statusCode ?? 0;
      if (status === 404 || status === 204 || status < 200 || status >= 300) {
        res.resume();
        if (status === 404) succeed('not-found');
        else if (status === 204) {
          sink.push(Buffer.from('[]'));
          sink.end();
          succeed('read');
        } else fail(new DicomWebError(`${operation} failed: ${url} answered HTTP ${status}`, { failure: 'http', url, status }));
        return;
      }
      const contentType = res.headers['content-type'] ?? '';
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        try {
          sink.push(chunk);
        } catch (error) {
          fail(error instanceof DatasetStreamError ? sinkError(operation, url, contentType, error) : error);
        }
      });
      res.on('end', () => {
        if (settled) return;
        try {
          sink.end();
          succeed('read');
        } catch (error) {
          fail(error instanceof DatasetStreamError ? sinkError(operation, url, contentType, error) : error);
        }
      });
      // A body cut off by the server or the network ends in 'aborted'/'error' then 'close', never in 'end'.
      res.on('error', () => fail(cutOff(operation, url, sink)));
      res.on('close', () => {
        if (!res.complete) fail(cutOff(operation, url, sink));
      });
    });
    req.end();
  });
}

function cutOff(operation: string, url: string, sink: BodySink): DicomWebError {
  return new DicomWebError(
    `${operation} failed: the connection to ${url} closed after ${sink.bytes} bytes of the answer (${sink.count} complete datasets), before it was complete`,
    { failure: 'truncated', url },
  );
}
