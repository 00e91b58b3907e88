/** The study's endpoint (SPEC §2.1): a DICOMweb WADO-RS Endpoint resource (R4 / R5). */
import type { Endpoint as EndpointR4, Identifier } from 'fhir/r4';
import type { Endpoint as EndpointR5 } from 'fhir/r5';
import { identifierR5 } from './r5-types.js';
import { DCM_SYSTEM, ENDPOINT_CONNECTION_TYPE_SYSTEM, URI_SYSTEM } from './systems.js';

const WADO_RS = { system: ENDPOINT_CONNECTION_TYPE_SYSTEM, code: 'dicom-wado-rs' };
/** DICOM PS3.16 CID 7010 "DICOM" (DCM 113014), the payload type of a DICOMweb Endpoint (SPEC §2.1). */
const DICOM_PAYLOAD = { coding: [{ system: DCM_SYSTEM, code: '113014', display: 'DICOM' }] };

/** The base URL doubles as the Endpoint's identifier, so a conditional update finds it again. */
export function endpointIdentifier(baseUrl: string): Identifier {
  return { system: URI_SYSTEM, value: baseUrl };
}

/** R4 Endpoint: `connectionType` is one Coding, `payloadType` a required CodeableConcept list. */
export function dicomwebEndpointR4(baseUrl: string, id?: string): EndpointR4 {
  return {
    resourceType: 'Endpoint',
    ...(id === undefined ? {} : { id }),
    identifier: [endpointIdentifier(baseUrl)],
    status: 'active',
    connectionType: { ...WADO_RS },
    name: 'DICOMweb WADO-RS',
    payloadType: [structuredClone(DICOM_PAYLOAD)],
    payloadMimeType: ['application/dicom'],
    address: baseUrl,
  };
}

/** R5 Endpoint: `connectionType` became a CodeableConcept list and payload types moved into `payload`. */
export function dicomwebEndpointR5(baseUrl: string, id?: string): EndpointR5 {
  return {
    resourceType: 'Endpoint',
    ...(id === undefined ? {} : { id }),
    identifier: [identifierR5(endpointIdentifier(baseUrl))],
    status: 'active',
    connectionType: [{ coding: [{ ...WADO_RS }] }],
    name: 'DICOMweb WADO-RS',
    payload: [{ type: [structuredClone(DICOM_PAYLOAD)], mimeType: ['application/dicom'] }],
    address: baseUrl,
  };
}
