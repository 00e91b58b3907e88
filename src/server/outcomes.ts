/**
 * Every FHIR error the API can answer, as ready-made OperationOutcomes (FHIR R4 §3.1.0.4 / RESTful
 * API §3.1.0.4.3 "OperationOutcome in responses"), one `getStatus` mapping them to HTTP codes and
 * one error type that carries an outcome, so routes throw and a single Express handler answers.
 */
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';
import { StoreError } from '../bridge/store/faults.js';
import { escapeControlCharacters } from '../text/control-characters.js';

type IssueCode = OperationOutcomeIssue['code'];

/** Outcome ids double as the key `getStatus` maps to an HTTP status. */
const OK_ID = 'ok';
const CREATED_ID = 'created';
const ACCEPTED_ID = 'accepted';
const NOT_MODIFIED_ID = 'not-modified';
const NOT_FOUND_ID = 'not-found';
const GONE_ID = 'gone';
const UNAUTHORIZED_ID = 'unauthorized';
const FORBIDDEN_ID = 'forbidden';
const BAD_REQUEST_ID = 'bad-request';
const PAYLOAD_TOO_LARGE_ID = 'payload-too-large';
const METHOD_NOT_ALLOWED_ID = 'method-not-allowed';
const NOT_ACCEPTABLE_ID = 'not-acceptable';
const CONFLICT_ID = 'conflict';
const SERVER_ERROR_ID = 'server-error';
const SERVICE_UNAVAILABLE_ID = 'service-unavailable';

/** Texts and expressions may quote the request (a parameter name): control characters are escaped. */
function outcome(id: string, severity: OperationOutcomeIssue['severity'], code: IssueCode, text: string, expression?: string): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code, details: { text: escapeControlCharacters(text) } };
  if (expression !== undefined) issue.expression = [escapeControlCharacters(expression)];
  return { resourceType: 'OperationOutcome', id, issue: [issue] };
}

export const allOk: OperationOutcome = outcome(OK_ID, 'information', 'informational', 'All OK');
export const created: OperationOutcome = outcome(CREATED_ID, 'information', 'informational', 'Created');
export const accepted: OperationOutcome = outcome(ACCEPTED_ID, 'information', 'informational', 'Accepted');
export const notModified: OperationOutcome = outcome(NOT_MODIFIED_ID, 'information', 'informational', 'Not Modified');
export const notFound: OperationOutcome = outcome(NOT_FOUND_ID, 'error', 'not-found', 'Not found');
export const gone: OperationOutcome = outcome(GONE_ID, 'error', 'deleted', 'Deleted');
export const unauthorized: OperationOutcome = outcome(UNAUTHORIZED_ID, 'error', 'login', 'Unauthorized');
/** 401 with the reason a credential was refused (never the credential itself). */
export function unauthenticated(details: string): OperationOutcome {
  return outcome(UNAUTHORIZED_ID, 'error', 'login', details);
}

/** 403: a valid credential that does not allow this request (RFC 6750 §3.1 `insufficient_scope`). */
export function forbidden(details: string): OperationOutcome {
  return outcome(FORBIDDEN_ID, 'error', 'forbidden', details);
}

export const serverError: OperationOutcome = outcome(SERVER_ERROR_ID, 'error', 'exception', 'Internal server error');

export function badRequest(details: string, expression?: string): OperationOutcome {
  return outcome(BAD_REQUEST_ID, 'error', 'invalid', details, expression);
}

/** 413: a request body above the route's limit (RFC 9110 §15.5.14). */
export function payloadTooLarge(details: string): OperationOutcome {
  return outcome(PAYLOAD_TOO_LARGE_ID, 'error', 'too-long', details);
}

/** 405: the resource exists but not this interaction on it; the route sends `Allow` (RFC 9110 §15.5.6). */
export function methodNotAllowed(method: string, allow: string): OperationOutcome {
  return outcome(METHOD_NOT_ALLOWED_ID, 'error', 'not-supported', `Method ${method} is not supported here (allowed: ${allow})`);
}

/** 406: the client asked (`Accept` or `_format`) for an encoding the server cannot produce (FHIR R4 §3.1.0.1.9). */
export function notAcceptable(details: string): OperationOutcome {
  return outcome(NOT_ACCEPTABLE_ID, 'error', 'not-supported', details);
}

/** 409: the request does not fit the server's current state. */
export function conflict(details: string): OperationOutcome {
  return outcome(CONFLICT_ID, 'error', 'conflict', details);
}

export function serviceUnavailable(details = 'Service unavailable'): OperationOutcome {
  return outcome(SERVICE_UNAVAILABLE_ID, 'error', 'transient', details);
}

const STATUS_BY_ID: Record<string, number> = {
  [OK_ID]: 200,
  [CREATED_ID]: 201,
  [ACCEPTED_ID]: 202,
  [NOT_MODIFIED_ID]: 304,
  [BAD_REQUEST_ID]: 400,
  [UNAUTHORIZED_ID]: 401,
  [FORBIDDEN_ID]: 403,
  [NOT_FOUND_ID]: 404,
  [METHOD_NOT_ALLOWED_ID]: 405,
  [NOT_ACCEPTABLE_ID]: 406,
  [CONFLICT_ID]: 409,
  [GONE_ID]: 410,
  [PAYLOAD_TOO_LARGE_ID]: 413,
  [SERVER_ERROR_ID]: 500,
  [SERVICE_UNAVAILABLE_ID]: 503,
};

/** HTTP status of an outcome; an outcome this module did not build is a server error. */
export function getStatus(outcome: OperationOutcome): number {
  return (outcome.id !== undefined ? STATUS_BY_ID[outcome.id] : undefined) ?? 500;
}

export function isOk(outcome: OperationOutcome): boolean {
  const status = getStatus(outcome);
  return status >= 200 && status < 300;
}

/** Thrown anywhere below a route; the Express error handler answers with its outcome. */
export class OperationOutcomeError extends Error {
  override readonly name = 'OperationOutcomeError';
  constructor(
    readonly outcome: OperationOutcome,
    options?: { cause?: unknown },
  ) {
    super(outcome.issue[0]?.details?.text ?? 'OperationOutcomeError', options);
  }
}

/**
 * The outcome to answer for anything thrown: an `OperationOutcomeError` keeps its own, Express'
 * body-parser errors (`status`/`statusCode` 4xx) become 413 for a body above the limit and 400
 * otherwise (malformed JSON…), a store fault 503 (500 for corrupted content), and everything
 * else a 500 whose text does not leak internals.
 */
export function normalizeOperationOutcome(err: unknown): OperationOutcome {
  if (err instanceof OperationOutcomeError) return err.outcome;
  if (err instanceof StoreError) {
    // A corrupted stored study is a server error (it is being re-synced); a full, locked or
    // unreadable store is an outage a client may retry.
    return err.code === 'store-corrupt'
      ? outcome(SERVER_ERROR_ID, 'error', 'exception', 'The stored study is corrupted; it is being re-synced from the image source')
      : serviceUnavailable(`The store is unavailable (${err.code})`);
  }
  if (typeof err === 'object' && err !== null) {
    const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
    if (status === 413) {
      const limit = (err as { limit?: unknown }).limit;
      return payloadTooLarge(typeof limit === 'number' ? `Request body larger than ${limit} bytes` : 'Request body too large');
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const type = (err as { type?: unknown }).type;
      return badRequest(typeof type === 'string' ? `Invalid request body (${type})` : 'Invalid request');
    }
  }
  return serverError;
}
