/** Polling for tests that wait on a server, a process or a store to reach a state. */

/**
 * Calls `probe` every `intervalMs` until it gives something other than `undefined`, and returns
 * that; after `timeoutMs` fails naming `what`, with `context()` (e.g. a server's log tail).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  context = (): string => '',
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
