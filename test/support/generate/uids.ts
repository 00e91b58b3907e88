/**
 * Deterministic, fixed-length UIDs for generated test data.
 *
 * A copy of a template file keeps every length field only if each new UID has exactly the byte
 * length of the one it replaces (PS3.5 §7.1: the value length of an element is fixed in its
 * header; group 0002 also carries a group length). UIDs are built under the `2.25` arc
 * (PS3.5 §B.2) as `2.25.<run>.<counter>`: `run` is a 12-digit number derived from a seed, and
 * `counter` is `1` followed by the zero-padded counters, so no component has a leading zero
 * (PS3.5 §9.1) and the same seed and counters always give the same UID — reruns reuse cached data.
 */
import { createHash } from 'node:crypto';

/** 12 decimal digits, first digit non-zero, derived from the seed. */
export function runComponent(seed: string): string {
  const hex = createHash('sha1').update(seed).digest('hex').slice(0, 12);
  const digits = (BigInt(`0x${hex}`) % 900_000_000_000n) + 100_000_000_000n;
  return digits.toString();
}

/**
 * A UID of exactly `length` characters. `counters` are rendered with the given widths, so one
 * `length`/`widths` pair gives distinct UIDs for distinct counters.
 */
export function fixedLengthUid(
  seed: string,
  counters: readonly number[],
  widths: readonly number[],
  length: number,
): string {
  const prefix = `2.25.${runComponent(seed)}.1`;
  let body = '';
  counters.forEach((n, i) => {
    const width = widths[i] ?? 1;
    const text = String(n);
    if (!Number.isInteger(n) || n < 0 || text.length > width) {
      throw new RangeError(`counter ${n} does not fit in ${width} digits`);
    }
    body += text.padStart(width, '0');
  });
  const pad = length - prefix.length - body.length;
  if (pad < 0 || length > 64) {
    throw new RangeError(`a UID of ${length} characters cannot hold ${counters.length} counters`);
  }
  return prefix + '0'.repeat(pad) + body;
}
