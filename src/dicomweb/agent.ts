/**
 * Keep-alive connections for the streamed DICOMweb requests, reused only while the server still
 * holds them open.
 */
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';

/**
 * An idle connection is closed by this side after this long. Orthanc 1.10 closes idle
 * connections after 1 s and cannot be told otherwise (`KeepAliveTimeout` exists only from
 * 1.11.3): a socket reused just as the server closes it fails with ECONNRESET, so idle sockets
 * are dropped well before that second.
 */
export const IDLE_SOCKET_MS = 500;

/** Connections to one server at once: per-series streams of several syncs share them. */
export const MAX_SOCKETS = 16;

/**
 * Node 20's agent reads the server's `Keep-Alive: timeout=1` and then never reuses a socket
 * (it keeps a 1 s safety margin, leaving 0), so every request to Orthanc would pay a new
 * connection. This agent keeps such sockets for `IDLE_SOCKET_MS` instead; the rare reset of a
 * reused socket is retried once by the caller ({@link sendRetryingReset}).
 */
function keepBriefly(socket: Socket): boolean {
  socket.setKeepAlive(true, 1000);
  socket.unref();
  socket.setTimeout(IDLE_SOCKET_MS);
  return true;
}

const OPTIONS: AgentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS, scheduling: 'lifo' };

export function createKeepAliveAgent(protocol: string): HttpAgent {
  const agent = protocol === 'https:' ? new HttpsAgent(OPTIONS) : new HttpAgent(OPTIONS);
  agent.keepSocketAlive = keepBriefly;
  return agent;
}

/** Error codes of a kept-alive connection the server closed just as it was reused. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** Whether `error` (a socket or HTTP client error) is a connection reset. */
export function isConnectionReset(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && RESET_CODES.has(code);
}

/** A reset before any byte of the answer: nothing was read, so a request that only reads can be sent again. */
export class ResetBeforeAnswer extends Error {
  constructor(cause?: unknown) {
    super('connection reset before the answer', { cause });
  }
}

/**
 * Sends a request that only reads, and once more when it fails with {@link ResetBeforeAnswer};
 * a second such reset becomes the error `afterSecondReset` returns.
 */
export async function sendRetryingReset<T>(send: () => Promise<T>, afterSecondReset: (reset: ResetBeforeAnswer) => unknown): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof ResetBeforeAnswer)) throw error;
    return send().catch((again: unknown) => {
      throw again instanceof ResetBeforeAnswer ? afterSecondReset(again) : again;
    });
  }
}
