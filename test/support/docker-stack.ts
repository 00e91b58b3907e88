/**
 * Drives the shipped `docker-compose.yml` for end-to-end tests: the container engine from
 * `scripts/docker-test-env.sh` (installed and started when missing, stopped again if it was
 * started here), a compose project of its own with a test `.env`, published ports below the
 * kernel's ephemeral range that are free on every interface, and a cleanup that removes the
 * project's containers, networks and volumes whatever happened.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
const ENV_SCRIPT = join(REPO, 'scripts/docker-test-env.sh');
const PROJECT_PREFIX = 'dicom2fhir-e2e-';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], timeoutMs: number): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function check(command: string, args: string[], timeoutMs: number): RunResult {
  const result = run(command, args, timeoutMs);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr.slice(-4000)}\n${result.stdout.slice(-4000)}`);
  }
  return result;
}

/** Runs the engine script (as root, through sudo when the tests do not run as root). */
export function dockerEnv(action: 'start' | 'stop'): RunResult {
  const asRoot = process.getuid?.() === 0;
  return check(asRoot ? 'bash' : 'sudo', asRoot ? [ENV_SCRIPT, action] : ['-n', 'bash', ENV_SCRIPT, action], 15 * 60_000);
}

export function docker(args: string[], timeoutMs = 60_000): RunResult {
  return check('docker', args, timeoutMs);
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

/**
 * `count` distinct ports from 20000–32767 that nothing listens on, on loopback or any interface.
 * Below 32768 because the range above is the kernel's ephemeral range, where leftover TIME-WAIT
 * sockets make a later bind fail at random.
 */
export async function freeLowPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count && attempt < 500; attempt += 1) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    if (ports.includes(port)) continue;
    if ((await canListen(port, '0.0.0.0')) && (await canListen(port, '127.0.0.1'))) ports.push(port);
  }
  if (ports.length < count) throw new Error(`found only ${ports.length} free ports below 32768`);
  return ports;
}

export interface HttpAnswer {
  status: number;
  body: string;
  json<T>(): T;
}

/**
 * One HTTP request on a connection of its own (no keep-alive pool): after `restart` or `down`/`up`
 * a pooled connection to a published port is a connection to a container that is gone.
 */
export function httpRequest(url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        done({ status: res.statusCode ?? 0, body, json: <T>() => JSON.parse(body) as T });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 30 s`)));
    req.on('error', fail);
    req.end();
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes what earlier test runs killed before their cleanup left behind (their process is gone). */
export function removeStaleProjects(): string[] {
  const labels = docker(['ps', '-a', '--filter', 'label=com.docker.compose.project', '--format', '{{.Label "com.docker.compose.project"}}']).stdout;
  const volumes = docker(['volume', 'ls', '--filter', 'label=com.docker.compose.project', '--format', '{{.Label "com.docker.compose.project"}}']).stdout;
  const stale = [...new Set(`${labels}\n${volumes}`.split('\n'))].filter((name) => {
    if (!name.startsWith(PROJECT_PREFIX)) return false;
    const pid = Number(name.slice(PROJECT_PREFIX.length).split('-')[0]);
    return Number.isInteger(pid) && pid > 0 && !isRunning(pid);
  });
  for (const name of stale) {
    const filter = `label=com.docker.compose.project=${name}`;
    const containers = docker(['ps', '-aq', '--filter', filter]).stdout.split('\n').filter(Boolean);
    if (containers.length > 0) docker(['rm', '-f', '-v', ...containers]);
    const vols = docker(['volume', 'ls', '-q', '--filter', filter]).stdout.split('\n').filter(Boolean);
    if (vols.length > 0) docker(['volume', 'rm', '-f', ...vols]);
    const networks = docker(['network', 'ls', '-q', '--filter', filter]).stdout.split('\n').filter(Boolean);
    if (networks.length > 0) docker(['network', 'rm', ...networks]);
  }
  return stale;
}

export interface StackOptions {
  /** The test `.env`: every variable the compose file reads. */
  env: Record<string, string>;
  /** Written as a JSON file and mounted as Orthanc's configuration override (numeric settings). */
  orthancOverride: Record<string, unknown>;
}

export interface Stack {
  project: string;
  dir: string;
  /** `docker-compose` on the shipped file plus the test override, with the test `.env`. */
  compose(args: string[], timeoutMs?: number): RunResult;
  /** The container id of a service (its first container). */
  containerId(service: string): string;
  /** Waits until every service's container reports `healthy`; throws with the logs otherwise. */
  waitHealthy(services: string[], timeoutMs: number): Promise<void>;
  /** What exists of the project: containers, volumes and networks (ids). */
  leftovers(): { containers: string[]; volumes: string[]; networks: string[] };
  /** `down -v` and removal of the temporary folder; safe to call more than once. */
  destroy(): void;
}

export function createStack(options: StackOptions): Stack {
  const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-docker-'));
  const project = `${PROJECT_PREFIX}${process.pid}-${Date.now().toString(36)}`;
  const envFile = join(dir, 'test.env');
  writeFileSync(envFile, Object.entries(options.env).map(([k, v]) => `${k}=${v}\n`).join(''));
  const overrideJson = join(dir, 'orthanc-override.json');
  writeFileSync(overrideJson, JSON.stringify(options.orthancOverride), { mode: 0o644 });
  const overrideYml = join(dir, 'docker-compose.test.yml');
  writeFileSync(
    overrideYml,
    ['services:', '  orthanc:', '    volumes:', `      - ${overrideJson}:/etc/orthanc/override.json:ro`, ''].join('\n'),
  );
  const base = ['--project-name', project, '--env-file', envFile, '-f', join(REPO, 'docker-compose.yml'), '-f', overrideYml];
  const compose = (args: string[], timeoutMs = 120_000): RunResult => check('docker-compose', [...base, ...args], timeoutMs);
  const filter = `label=com.docker.compose.project=${project}`;
  const ids = (args: string[]): string[] => docker([...args, '-q', '--filter', filter]).stdout.split('\n').filter(Boolean);
  let destroyed = false;

  const containerId = (service: string): string => {
    const id = compose(['ps', '-q', service]).stdout.trim().split('\n')[0];
    if (id === undefined || id === '') throw new Error(`no container for service ${service}`);
    return id;
  };

  return {
    project,
    dir,
    compose,
    containerId,
    async waitHealthy(services, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = services.map((service) => docker(['inspect', '-f', '{{.State.Health.Status}}', containerId(service)]).stdout.trim());
        if (states.every((state) => state === 'healthy')) return;
        if (Date.now() > deadline) {
          const logs = run('docker-compose', [...base, 'logs', '--no-color', '--tail', '60'], 60_000).stdout;
          throw new Error(`not healthy after ${timeoutMs} ms (${services.map((s, i) => `${s}: ${states[i]}`).join(', ')})\n${logs}`);
        }
        await new Promise((done) => setTimeout(done, 1000));
      }
    },
    leftovers() {
      return { containers: ids(['ps', '-a']), volumes: ids(['volume', 'ls']), networks: ids(['network', 'ls']) };
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        run('docker-compose', [...base, 'down', '-v', '--remove-orphans', '--timeout', '10'], 180_000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
