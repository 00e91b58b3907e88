/** The one error type of the DICOMweb source: what failed, how, and the HTTP status if any. */

export type DicomWebFailure =
  /** The server answered with an HTTP error status. */
  | 'http'
  /** No byte arrived within the configured timeout. */
  | 'timeout'
  /** Connection refused, reset, DNS failure… (no HTTP status). */
  | 'network'
  /** A 2xx answer whose body is not JSON, or JSON but not the DICOM JSON model (PS3.18 §F.2). */
  | 'invalid-response'
  /** The answer stopped before it was complete (connection closed mid-body, JSON not closed). */
  | 'truncated'
  /** One dataset of the answer is larger than the reader holds at once. */
  | 'too-large';

/**
 * Carries the failure kind and status so callers (CLI exit codes, sync retries) can decide
 * without parsing text. The message names the operation and the server, never patient data:
 * only the URL (base URL and UIDs) and the status appear in it.
 */
export class DicomWebError extends Error {
  override readonly name = 'DicomWebError';
  readonly failure: DicomWebFailure;
  /** HTTP status for `http` failures; undefined otherwise. */
  readonly status: number | undefined;
  readonly url: string;

  constructor(
    message: string,
    details: { failure: DicomWebFailure; url: string; status?: number; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.failure = details.failure;
    this.status = details.status;
    this.url = details.url;
  }
}
