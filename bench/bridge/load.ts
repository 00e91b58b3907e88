/**
 * HTTP load generator, run as its own process so it never shares an event loop with the server
 * it measures: `connections` keep-alive loops, each sending one GET after the previous answer,
 * over a warm-up and then a timed window. Prints one JSON line: requests, bytes and failures
 * counted in the timed window only.
 *
 * Usage: load.ts <url> <connections> <durationMs> <warmupMs>
 * With LOAD_AUTHORIZATION set, every request sends it as its Authorization header.
 */
import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  bytes: number;
  /** Answers other than 200, and socket errors. */
  failures: number;
  /** Every answer, warm-up and draining included: the denominator of the server's CPU time per request. */
  allRequests: number;
  seconds: number;
  requestsPerSec: number;
}

const [url, connectionsText, durationText, warmupText] = process.argv.slice(2);
if (url === undefined || connectionsText === undefined || durationText === undefined || warmupText === undefined) {
  process.stderr.write('usage: load.ts <url> <connections> <durationMs> <warmupMs>\n');
  process.exit(2);
}
const connections = Number(connectionsText);
const durationMs = Number(durationText);
const warmupMs = Number(warmupText);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const target = new URL(url);
const authorization = process.env.LOAD_AUTHORIZATION;
const headers: Record<string, string> = { accept: 'application/fhir+json', ...(authorization === undefined ? {} : { authorization }) };

let counting = false;
let stopped = false;
let requests = 0;
let bytes = 0;
let failures = 0;
let allRequests = 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const req = request(
      { agent, host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'GET', headers },
      (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
        });
        res.on('end', () => {
          allRequests += 1;
          if (counting) {
            if (res.statusCode === 200) {
              requests += 1;
              bytes += size;
            } else failures += 1;
          }
          resolve();
        });
      },
    );
    req.on('error', () => {
      if (counting) failures += 1;
      resolve();
    });
    req.end();
  });
}

async function loop(): Promise<void> {
  while (!stopped) await once();
}

const loops = Array.from({ length: connections }, loop);
await new Promise((resolve) => setTimeout(resolve, warmupMs));
counting = true;
const start = performance.now();
await new Promise((resolve) => setTimeout(resolve, durationMs));
counting = false;
const seconds = (performance.now() - start) / 1000;
stopped = true;
await Promise.all(loops);
agent.destroy();
const result: LoadResult = { requests, bytes, failures, allRequests, seconds, requestsPerSec: requests / seconds };
process.stdout.write(`${JSON.stringify(result)}\n`);
