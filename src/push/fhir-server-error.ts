/** The one error type of the push path: what the FHIR server (or the network) said, in one readable message. */
import type { OperationOutcome } from 'fhir/r4';

export interface FhirServerErrorDetails {
  /** HTTP status; absent when no response arrived (refused connection, DNS, timeout). */
  status?: number;
  /** `issue[].details.text` / `diagnostics` of the server's OperationOutcome, in order. */
  issues?: string[];
  /** The wait the server asked for with `Retry-After` (RFC 9110 §10.2.3), in milliseconds. */
  retryAfterMs?: number;
  /** Whether sending the same request again may succeed (429, 5xx, network, timeout). */
  retryable: boolean;
  /** How many requests were made before giving up. */
  attempts: number;
  cause?: unknown;
}

/**
 * A FHIR interaction that failed. The message names the server, the interaction and — when the
 * server answered with an OperationOutcome (FHIR R4 http.html#errors) — every issue text, so a
 * user sees "why" without a stack trace.
 */
export class FhirServerError extends Error {
  readonly status: number | undefined;
  readonly issues: string[];
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;
  readonly attempts: number;

  constructor(message: string, details: FhirServerErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FhirServerError';
    this.status = details.status;
    this.issues = details.issues ?? [];
    this.retryAfterMs = details.retryAfterMs;
    this.retryable = details.retryable;
    this.attempts = details.attempts;
  }
}

/** Issue texts of an OperationOutcome-shaped body; empty when the body is something else. */
export function operationOutcomeIssues(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || (body as { resourceType?: unknown }).resourceType !== 'OperationOutcome') {
    return [];
  }
  const issues = (body as OperationOutcome).issue ?? [];
  return issues.map((issue) => {
    const text = issue.details?.text ?? issue.diagnostics ?? issue.code;
    const where = issue.expression?.join(', ') ?? issue.location?.join(', ');
    return where ? `${text} (at ${where})` : text;
  });
}
