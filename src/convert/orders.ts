/** Order identifiers and requested procedure (SPEC §2.1 identifier/basedOn, §2.6 ServiceRequest). */
import type { CodeableConcept, Identifier } from 'fhir/r4';
import { getSequence, getString, type Dataset } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';
import { firstString, firstWith } from './study/pick.js';
import { V2_0203_SYSTEM } from './systems.js';
import { toCodeableConcepts } from './values/coding.js';
import { issuerFromItem, withIssuer, type IssuerSystems } from './values/issuer.js';

/** What the datasets say about the order the study fulfils. */
export interface OrderInfo {
  /** Accession Number with its issuer, type ACSN (v2-0203). */
  accession?: Identifier;
  /** Accession, Requested Procedure ID, Placer (PLAC) and Filler (FILL) order numbers. */
  identifiers: Identifier[];
  /** Requested Procedure Code Sequence (0032,1064). */
  codes: CodeableConcept[];
}

function typed(code: string): Pick<Identifier, 'use' | 'type'> {
  return { use: 'usual', type: { coding: [{ system: V2_0203_SYSTEM, code }] } };
}

/** Where the Accession Number's system comes from besides its issuer sequence (SPEC §2.7 "Systems"). */
export interface AccessionSystems {
  /** Issuer text → system URI (matched against the Local Namespace Entity ID). */
  issuerSystems?: IssuerSystems;
  /** The system of accession numbers without a usable issuer. */
  accessionSystem?: string;
}

/**
 * Reads the order identifiers from the first dataset that has each. Issuer of Accession Number
 * Sequence (0008,0051) is an HL7 v2 HD item: its Universal Entity ID, else the site's map of its
 * Local Namespace Entity ID, else the configured accession system gives the system. The other
 * order numbers carry no issuer here.
 */
export function readOrder(datasets: readonly Dataset[], systems: AccessionSystems = {}): OrderInfo {
  const identifiers: Identifier[] = [];
  let accession: Identifier | undefined;
  const accessionDs = firstWith(datasets, Tag.AccessionNumber);
  const accessionValue = accessionDs === undefined ? undefined : getString(accessionDs, Tag.AccessionNumber);
  if (accessionDs !== undefined && accessionValue !== undefined) {
    const issuer = issuerFromItem(getSequence(accessionDs, Tag.IssuerOfAccessionNumberSequence)[0], systems.issuerSystems);
    accession = withIssuer(typed('ACSN'), accessionValue, issuer, systems.accessionSystem);
    identifiers.push(accession);
  }
  const requestedProcedureId = firstString(datasets, Tag.RequestedProcedureID);
  if (requestedProcedureId !== undefined) identifiers.push({ use: 'secondary', type: { text: 'Requested Procedure ID' }, value: requestedProcedureId });
  const placer = firstString(datasets, Tag.PlacerOrderNumberImagingServiceRequest);
  if (placer !== undefined) identifiers.push({ ...typed('PLAC'), value: placer });
  const filler = firstString(datasets, Tag.FillerOrderNumberImagingServiceRequest);
  if (filler !== undefined) identifiers.push({ ...typed('FILL'), value: filler });
  const codesDs = firstWith(datasets, Tag.RequestedProcedureCodeSequence);
  const codes = codesDs === undefined ? [] : toCodeableConcepts(getSequence(codesDs, Tag.RequestedProcedureCodeSequence));
  const order: OrderInfo = { identifiers, codes };
  if (accession !== undefined) order.accession = accession;
  return order;
}

/** Whether there is any order to refer to (and, in Bundle form, a ServiceRequest to write). */
export function hasOrder(order: OrderInfo): boolean {
  return order.identifiers.length > 0 || order.codes.length > 0;
}
