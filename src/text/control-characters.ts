/**
 * Text from outside (file contents, query strings, another server's messages) can carry control
 * characters: written raw to a terminal they move the cursor, recolour or rewrite earlier lines,
 * and in a log they split or forge lines. Every message that may quote such text passes through
 * {@link escapeControlCharacters} before it is printed, logged or answered.
 */

/** C0 (U+0000–U+001F, tab and newline included: a message is one line), DEL and C1 (U+0080–U+009F). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** `a\u0001b` → `a\x01b`; text without control characters is returned as it is. */
export function escapeControlCharacters(text: string): string {
  if (!HAS_CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The same for every string in a log record (objects and arrays followed to a small depth; other
 * values kept). A record without control characters is returned unchanged, not copied.
 */
export function escapeControlCharactersDeep<T>(value: T, depth = 4): T {
  if (typeof value === 'string') return escapeControlCharacters(value) as T;
  if (depth === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((entry: unknown, index) => {
      const escaped = escapeControlCharactersDeep(entry, depth - 1);
      if (escaped !== entry) (copy ??= [...value])[index] = escaped;
    });
    return (copy ?? value) as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, entry] of Object.entries(value)) {
    const escaped = escapeControlCharactersDeep(entry, depth - 1);
    const escapedKey = escapeControlCharacters(key);
    if (escaped !== entry || escapedKey !== key) {
      copy ??= { ...(value as Record<string, unknown>) };
      if (escapedKey !== key) delete copy[key];
      copy[escapedKey] = escaped;
    }
  }
  return (copy ?? value) as T;
}
