/**
 * The logging surface the bridge's parts need: pino's `(fields, message)` form, so a pino logger
 * is passed as is. Fields carry UIDs, counts and error messages only, never patient data
 * (SPEC §4, Security).
 */
export interface BridgeLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  debug(fields: object, message?: string): void;
}

/** Error text for logs and the failures table; bounded so a huge server answer cannot bloat either. */
export function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}
