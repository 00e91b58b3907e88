/**
 * The framework-free request and response shapes of the FHIR API: handlers take a plain
 * `FhirRequest` and answer `[outcome, body?, headers?]`, so they are tested without a server and
 * Express only adapts them (see `express.ts`).
 */
import type { OperationOutcome, Resource as ResourceR4 } from 'fhir/r4';
import type { Resource as ResourceR5 } from 'fhir/r5';

export type FhirResource = ResourceR4 | ResourceR5;

export interface FhirRequest {
  method: string;
  /** Path parameters, e.g. `{ id }` for `/ImagingStudy/:id`. */
  params: Record<string, string>;
  /** Every query parameter with all its values, in request order. */
  query: Record<string, string[]>;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body?: unknown;
  /** Public root of this server (`http://host:port`), for `fullUrl` and paging links. */
  baseUrl: string;
}

/** A JSON body that is not a FHIR resource (health checks). */
export type JsonBody = Record<string, unknown>;

export type FhirResponse = [OperationOutcome, (FhirResource | JsonBody)?, Record<string, string>?];

/** First value of a header or query parameter. */
export function first(values: string[] | undefined): string | undefined {
  return values?.[0];
}
