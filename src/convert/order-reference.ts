/** ImagingStudy.basedOn without a ServiceRequest resource: a logical reference by identifier (R4 §2.3.0.5). */
import type { Reference } from 'fhir/r4';
import type { OrderInfo } from './orders.js';

/** The requested procedure's name, for `display`. */
export function orderDisplay(order: OrderInfo): string | undefined {
  const first = order.codes[0];
  return first?.text ?? first?.coding?.[0]?.display;
}

/**
 * The accession number (else the first other order identifier) identifies the order; with
 * only a Requested Procedure Code there is nothing to resolve, so the reference carries just
 * the display. No order data → no basedOn.
 */
export function logicalOrderReference(order: OrderInfo): Reference | undefined {
  const identifier = order.accession ?? order.identifiers[0];
  const display = orderDisplay(order);
  if (identifier === undefined && display === undefined) return undefined;
  const reference: Reference = { type: 'ServiceRequest' };
  if (identifier !== undefined) reference.identifier = identifier;
  if (display !== undefined) reference.display = display;
  return reference;
}
