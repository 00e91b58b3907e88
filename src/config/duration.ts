/** Durations in settings: `500ms`, `10s`, `2m`, or a bare number of seconds; returns milliseconds. */
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const FACTOR: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * (FACTOR[match[2] ?? 's'] ?? 1000));
}
