/**
 * Runs `dicom2fhir serve` as a child process for tests that must see the process itself: that it
 * keeps running through a fault, what it logs, how fast it answers. The environment is given
 * whole (nothing inherited but PATH), the log is kept, and `stop()` ends it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { waitFor } from './wait.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface BridgeProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far (pino JSON lines and stderr). */
  log(): string;
  /** Exit code once it exited, else undefined. */
  exited(): number | null | undefined;
  /** SIGTERM, then the exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

export async function startBridgeProcess(env: Record<string, string>, port: number): Promise<BridgeProcess> {
  let log = '';
  let exitCode: number | null | undefined;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exitCode = code))));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the serve child to answer /healthz',
    async () => {
      if (exitCode !== undefined) throw new Error(`serve exited with ${exitCode}:\n${log}`);
      return (await request(`${url}/healthz`).then((r) => r.status === 200, () => false)) || undefined;
    },
    30_000,
    () => log,
  );
  return {
    url,
    child,
    log: () => log,
    exited: () => exitCode,
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface PlainResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T>(): T;
}

/**
 * One HTTP request on a connection of its own (no keep-alive pool): the bridges of a test come and
 * go, and a pooled socket the server has since closed would fail the next request.
 */
export function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
