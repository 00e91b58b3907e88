/**
 * The reference for the read-throughput figure: a bare `node:http` server, in its own process,
 * answering every request with the same status, headers and body bytes the bridge sent for one
 * ImagingStudy. What the bridge does beyond this (routing, store read, auth, logging) is the
 * cost being measured. Prints `{"port": n}` once listening.
 *
 * Usage: bare-server.ts <response.json> where the file holds `{ headers, bodyBase64 }`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedResponse {
  headers: Record<string, string>;
  bodyBase64: string;
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: bare-server.ts <response.json>\n');
  process.exit(2);
}
const recorded = JSON.parse(readFileSync(file, 'utf8')) as RecordedResponse;
const body = Buffer.from(recorded.bodyBase64, 'base64');
const headers = { ...recorded.headers, 'content-length': String(body.length) };

const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
