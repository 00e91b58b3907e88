/**
 * The one log line per HTTP request: method, path, status and milliseconds, written when the
 * answer has been handed to the socket. The path never carries the query string, which can hold
 * accession numbers.
 *
 * The line is built here from those four fields only, so it goes through a child logger without
 * the PHI redaction paths: pino checks every wildcard path against every field of every line,
 * which costs several times the line itself on the read API's hot path. Other log objects keep
 * the redaction safety net.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export type RequestLog = (method: string, path: string, res: ServerResponse) => void;

export function createRequestLog(logger: Logger): RequestLog {
  const lines = logger.child({}, { redact: [] });
  return (method, path, res) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      lines.info({ method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
  };
}
