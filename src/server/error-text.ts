/** How the API logs a failure: the error's name and message, never its stack or attached data. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
