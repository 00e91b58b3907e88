/** Child processes for the bridge suite: timed commands, and helper scripts that report one JSON line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Runs a command to its end with standard output discarded; resolves with its wall milliseconds. */
export function timeCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const devNull = openSync('/dev/null', 'w');
  const start = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', devNull, 'pipe'], env });
  closeSync(devNull);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(' ')} failed (code ${code ?? 'none'}, signal ${signal ?? 'none'}): ${stderr.slice(-2000)}`));
    });
  });
}

/** A bench helper script (TypeScript beside this file) in a new Node process with the same loader as this one. */
export function spawnScript(name: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const script = fileURLToPath(new URL(name, import.meta.url));
  return spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/** The first line the child prints, parsed as JSON; rejects with its standard error when it exits first. */
export function firstJsonLine<T>(child: ChildProcess): Promise<T> {
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const end = stdout.indexOf('\n');
      if (end >= 0) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        try {
          resolve(JSON.parse(stdout.slice(0, end)) as T);
        } catch (error) {
          reject(new Error(`helper printed no JSON line: ${stdout.slice(0, 200)}`, { cause: error }));
        }
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`helper exited (code ${code ?? 'none'}) before reporting: ${stderr.slice(-2000)}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

/** SIGTERM and wait for the exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
