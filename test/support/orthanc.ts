/**
 * Starts a real, throw-away Orthanc (with the DICOMweb plugin) for integration tests: free
 * loopback ports, storage in a temporary folder, full WADO-RS metadata, and Orthanc's own log
 * attached to any start-up failure so a broken configuration is diagnosable from the test output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/lib/orthanc/libOrthancDicomWeb.so.1.7';

export interface OrthancHandle {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `${url}/dicom-web` */
  dicomWebUrl: string;
  dicomPort: number;
  storageDir: string;
  /** POST /instances for each file; returns the distinct Orthanc study ids, in upload order. */
  upload(files: string[]): Promise<string[]>;
  /** SIGTERM, then wait for the process to exit (Orthanc closes its index cleanly). Storage is kept until the test process exits. */
  stop(): Promise<void>;
  /** SIGKILL, then wait for the process to exit (simulates a crash). */
  kill(): Promise<void>;
  /** Start again with the same ports, configuration and storage (stops first if running). */
  restart(): Promise<void>;
  /** Headers to send with every request (Basic auth when the instance requires it). */
  headers: Record<string, string>;
  /** Everything Orthanc printed so far (its log), for diagnosing a failed test. */
  log(): string;
}

export interface StartOrthancOptions {
  /** Absolute paths of Lua scripts to load (`LuaScripts`). */
  luaScripts?: string[];
  /** Extra environment variables for the Orthanc process (read by Lua `os.getenv`). */
  env?: Record<string, string>;
  /** Seconds without new instances before a study is stable; default 1. */
  stableAgeSeconds?: number;
  /** With `password`: enables HTTP Basic authentication with this single user. */
  username?: string;
  password?: string;
  /**
   * Extra configuration keys, applied over the harness defaults (e.g. an example configuration
   * under test). Ports and storage folders are always the harness's own.
   */
  config?: Record<string, unknown>;
  /** Milliseconds to wait for `GET /system` to answer; default 30 000. */
  startTimeoutMs?: number;
}

const LOG_LIMIT = 256 * 1024;

/** A port that was free a moment ago (the OS picks it for a socket bound to port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A source of free ports that never gives the same one twice, for tests that restart a server on
 * a new port (a client's pooled keep-alive socket to the old one must not be reused).
 */
export function distinctFreePorts(): () => Promise<number> {
  const used = new Set<number>();
  return async () => {
    for (;;) {
      const port = await freePort();
      if (!used.has(port)) {
        used.add(port);
        return port;
      }
    }
  };
}

const ROOT_PREFIX = 'dicom2fhir-orthanc-';
const OWNER_FILE = 'owner.pid';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the folders of earlier harness instances whose test process is gone. Test runners may
 * end their workers without running `exit` handlers, so a folder's owner is recorded in it and
 * checked here instead. Returns how many folders were removed.
 */
export function removeStaleOrthancFolders(): number {
  let removed = 0;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(ROOT_PREFIX)) continue;
    const root = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(root, OWNER_FILE), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw error;
    }
    if (Number.isInteger(owner) && owner > 0 && !isRunning(owner)) {
      rmSync(root, { recursive: true, force: true });
      removed += 1;
    }
  }
  return removed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startOrthanc(options: StartOrthancOptions = {}): Promise<OrthancHandle> {
  removeStaleOrthancFolders();
  const root = mkdtempSync(join(tmpdir(), ROOT_PREFIX));
  writeFileSync(join(root, OWNER_FILE), String(process.pid));
  const storageDir = join(root, 'storage');
  const configPath = join(root, 'config.json');
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const auth = options.username !== undefined && options.password !== undefined;

  const config = {
    Name: 'DICOM2FHIR-TEST',
    DicomAet: 'D2FTEST',
    Plugins: [DICOMWEB_PLUGIN],
    // Orthanc 1.10 has no HTTP/DICOM bind-address option; with RemoteAccessAllowed false it
    // refuses every HTTP client that is not on the loopback interface.
    RemoteAccessAllowed: false,
    AuthenticationEnabled: auth,
    RegisteredUsers: auth ? { [options.username as string]: options.password as string } : {},
    StableAge: options.stableAgeSeconds ?? 1,
    LuaScripts: options.luaScripts ?? [],
    ConcurrentJobs: 1,
    HttpThreadsCount: 8,
    SaveJobs: false,
    DicomWeb: {
      Enable: true,
      Root: '/dicom-web/',
      EnableWado: false,
      // WADO-RS study/series metadata read from the stored files, so every tag SPEC §2 needs is
      // present (MainDicomTags would return only Orthanc's indexed subset).
      StudiesMetadata: 'Full',
      SeriesMetadata: 'Full',
      Host: `127.0.0.1:${httpPort}`,
      Ssl: false,
    },
    ...options.config,
    HttpPort: httpPort,
    DicomPort: dicomPort,
    StorageDirectory: storageDir,
    IndexDirectory: storageDir,
  };
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const url = `http://127.0.0.1:${httpPort}`;
  const headers: Record<string, string> = auth
    ? {
        Authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`,
      }
    : {};
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;

  let logText = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const appendLog = (chunk: Buffer): void => {
    logText += chunk.toString('utf8');
    if (logText.length > LOG_LIMIT) logText = logText.slice(logText.length - LOG_LIMIT);
  };

  const launch = async (): Promise<void> => {
    const proc = spawn(ORTHANC_BINARY, [configPath], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout?.on('data', appendLog);
    proc.stderr?.on('data', appendLog);
    let exitInfo: string | undefined;
    exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        exitInfo = `exit code ${code ?? 'none'}, signal ${signal ?? 'none'}`;
        if (child === proc) child = undefined;
        resolve();
      });
      proc.once('error', (err) => {
        exitInfo = `spawn error: ${err.message}`;
        if (child === proc) child = undefined;
        resolve();
      });
    });

    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exitInfo !== undefined) {
        throw new Error(`Orthanc exited during start-up (${exitInfo}). Its log:\n${logText}`);
      }
      try {
        const res = await fetch(`${url}/system`, { headers, signal: AbortSignal.timeout(1000) });
        if (res.ok) {
          await res.json();
          return;
        }
        await res.arrayBuffer();
      } catch (err) {
        if (Date.now() > deadline) {
          proc.kill('SIGKILL');
          await exited;
          throw new Error(
            `Orthanc did not answer GET /system within ${startTimeoutMs} ms (${String(err)}). Its log:\n${logText}`,
            { cause: err },
          );
        }
      }
      await sleep(100);
    }
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    proc.kill(signal);
    await exited;
  };

  // Storage outlives stop() so a stopped instance can be restarted; it goes with the test process.
  const onParentExit = (): void => {
    child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onParentExit);
  try {
    await launch();
  } catch (error) {
    process.removeListener('exit', onParentExit);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    dicomWebUrl: `${url}/dicom-web`,
    dicomPort,
    storageDir,
    headers,
    log: () => logText,
    async upload(files: string[]): Promise<string[]> {
      const studies: string[] = [];
      for (const file of files) {
        const res = await fetch(`${url}/instances`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/dicom' },
          body: readFileSync(file),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`Orthanc refused ${file}: HTTP ${res.status} ${text}`);
        const answer = JSON.parse(text) as { ParentStudy?: string };
        if (answer.ParentStudy === undefined) {
          throw new Error(`Orthanc answered without ParentStudy for ${file}: ${text}`);
        }
        if (!studies.includes(answer.ParentStudy)) studies.push(answer.ParentStudy);
      }
      return studies;
    },
    async stop(): Promise<void> {
      await terminate('SIGTERM');
    },
    async kill(): Promise<void> {
      await terminate('SIGKILL');
    },
    async restart(): Promise<void> {
      await terminate('SIGTERM');
      await launch();
    },
  };
}
