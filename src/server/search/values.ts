/**
 * Search value syntax shared by every parameter (FHIR R4 §3.1.1.4 and §3.1.1.4.1): a comma
 * separates values (OR), `|` separates a token's system from its code, and `\` escapes `,`, `|`,
 * `$` and itself inside a value.
 */
import type { TokenMatch } from '../../bridge/types.js';

const ESCAPED = /\\([\\,|$])/g;

export function unescapeValue(value: string): string {
  return value.replace(ESCAPED, '$1');
}

/** Splits on every `separator` not preceded by an escaping `\`; the parts keep their escapes. */
export function splitUnescaped(raw: string, separator: ',' | '|', limit = Number.POSITIVE_INFINITY): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw[i] as string;
    if (c === '\\' && i + 1 < raw.length) {
      current += c + (raw[i + 1] as string);
      i += 1;
    } else if (c === separator && parts.length + 1 < limit) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** The OR-ed values of one occurrence of a parameter, unescaped later by the caller (a token still needs its `|`). */
export function splitValues(raw: string): string[] {
  return splitUnescaped(raw, ',');
}

/** `system|code`, `code` or `|code`; undefined when the code is empty. */
export function parseToken(raw: string): TokenMatch | undefined {
  const [first, second] = splitUnescaped(raw, '|', 2);
  if (second === undefined) {
    const code = unescapeValue(first ?? '');
    return code === '' ? undefined : { code };
  }
  const code = unescapeValue(second);
  return code === '' ? undefined : { system: unescapeValue(first ?? ''), code };
}
