/**
 * The bridge's HTTP server: Node's, with request timeouts short enough that a client sending its
 * headers or body slowly cannot hold a connection. The API's requests are a few KiB (webhooks,
 * searches), so a few seconds is ample; responses are not bounded, only the receipt of requests.
 */
import { createServer, type RequestListener, type Server } from 'node:http';

/** Time to receive a request's headers (Node's default is 60 s). */
export const HEADERS_TIMEOUT_MS = 5_000;
/** Time to receive a whole request, headers and body (Node's default is 300 s). */
export const REQUEST_TIMEOUT_MS = 5_000;
/**
 * How often Node checks those timeouts. Its default of 30 s would let a slow client hold its
 * connection for up to 35 s whatever the timeouts say.
 */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 500;

export interface HttpServerTimeouts {
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  connectionsCheckingIntervalMs?: number;
}

/** A request that times out is answered `408 Request Timeout` by Node and its connection closed. */
export function createHttpServer(listener: RequestListener, timeouts: HttpServerTimeouts = {}): Server {
  const {
    headersTimeoutMs = HEADERS_TIMEOUT_MS,
    requestTimeoutMs = REQUEST_TIMEOUT_MS,
    connectionsCheckingIntervalMs = CONNECTIONS_CHECKING_INTERVAL_MS,
  } = timeouts;
  return createServer(
    { headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: connectionsCheckingIntervalMs },
    listener,
  );
}
