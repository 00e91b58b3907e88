/** A mistake in how the command was called (exit code 2), with a hint on how to call it right. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
