/**
 * The Bundle form (SPEC §2, §2.6, §2.7): a FHIR `transaction` that writes the ImagingStudy with a
 * conditional update by its study UID, and links it to the resources a server already holds or
 * may hold — only those found by an identifier with a system, each by a conditional create that
 * never updates. Whatever has no such identifier stays `contained` in the ImagingStudy, so
 * nothing is matched by a bare value or a name, and posting the same study twice creates nothing new.
 */
import type { Bundle, BundleEntry, BundleEntryRequest, Observation, Reference, Resource, ServiceRequest } from 'fhir/r4';
import type { Bundle as BundleR5 } from 'fhir/r5';
import {
  conditionalReference,
  createIfAbsent,
  imagingStudyRequest,
  matchingIdentifier,
  observationIdentifier,
} from './bundle-identity.js';
import { withId } from './contained.js';
import { defined, nonEmpty } from './fields.js';
import { dicomwebEndpointR4, dicomwebEndpointR5, endpointIdentifier } from './endpoint.js';
import { fullUrlFor, identifierKey } from './ids.js';
import type { StudyModel } from './model.js';
import type { ConvertOptions } from './options.js';
import { hasOrder } from './orders.js';
import type { Placement } from './placement.js';
import type { PractitionerEntry } from './practitioners.js';
import { imagingStudyR4 } from './r4.js';
import { imagingStudyR5 } from './r5.js';
import { CONTAINED_PATIENT_ID, LOINC_SYSTEM, OBSERVATION_CATEGORY_SYSTEM, UCUM_SYSTEM } from './systems.js';
import { NAMESPACE_OID, uuidV5 } from './values/uuid.js';

const CONTAINED_ORDER_ID = 'order';

function entry(fullUrl: string, resource: Resource, request: BundleEntryRequest): BundleEntry {
  return { fullUrl, resource, request };
}

/** Body weight (LOINC 29463-7, kg) and height (LOINC 8302-2, m) as vital-sign Observations (SPEC §2.4). */
function observation(
  model: StudyModel,
  code: { code: string; display: string },
  quantity: { value: number; unit: string },
  subject: Reference,
  study: Reference,
): Observation {
  const out: Observation = {
    resourceType: 'Observation',
    identifier: [observationIdentifier(model.uid, code.code)],
    partOf: [study],
    status: 'final',
    category: [
      { coding: [{ system: OBSERVATION_CATEGORY_SYSTEM, code: 'vital-signs', display: 'Vital Signs' }] },
    ],
    code: { coding: [{ system: LOINC_SYSTEM, ...code }], text: code.display },
    subject,
  };
  if (model.started !== undefined) out.effectiveDateTime = model.started;
  out.valueQuantity = { value: quantity.value, unit: quantity.unit, system: UCUM_SYSTEM, code: quantity.unit };
  return out;
}

/**
 * The order as a ServiceRequest (SPEC §2.6). DICOM says an order existed, not whether it is
 * still open, so the status is `unknown`. R5 made `code` a CodeableReference.
 */
function orderResource(model: StudyModel, subject: Reference, r5: boolean): Resource {
  const code = model.order.codes[0];
  const resource = defined<ServiceRequest, 'identifier' | 'status' | 'intent' | 'code' | 'subject'>(
    {
      identifier: nonEmpty(model.order.identifiers),
      status: 'unknown',
      intent: 'order',
      code,
      subject,
    },
    { resourceType: 'ServiceRequest' },
  );
  if (!r5 || code === undefined) return resource;
  return { ...resource, code: { concept: code } } as unknown as Resource;
}

/**
 * Builds the transaction Bundle for R4 or R5 (the same entries; Endpoint, ServiceRequest.code and
 * ImagingStudy differ). SPEC §2.7, entry by entry:
 * - Patient: with Patient ID and a system, a conditional create (or, in `existing` mode, a
 *   conditional reference that fails the transaction when the server has no such Patient);
 *   otherwise contained.
 * - Practitioner: an entry only with an identifier with a system; otherwise contained.
 * - ServiceRequest: an entry only with an accession system and a server Patient; otherwise contained.
 * - Observations: only with a server Patient (else left out, reported as `not-published`).
 * - Endpoint: the DICOMweb base URL, created if absent.
 */
export function studyBundle(model: StudyModel, options: ConvertOptions): Bundle | BundleR5 {
  const r5 = options.fhirVersion === 'R5';
  const entries: BundleEntry[] = [];
  const contained: Resource[] = [];

  const patientKey = matchingIdentifier(model.patient.identifier);
  let subject: Reference;
  if (patientKey === undefined) {
    contained.push(withId(model.patient, CONTAINED_PATIENT_ID));
    subject = { reference: `#${CONTAINED_PATIENT_ID}` };
  } else if (options.patientMode === 'existing') {
    subject = conditionalReference('Patient', patientKey);
  } else {
    const url = fullUrlFor('Patient', identifierKey([patientKey]));
    entries.push(entry(url, model.patient, createIfAbsent('Patient', patientKey)));
    subject = { reference: url };
  }
  const serverPatient = patientKey !== undefined;

  const practitioners = new Map<PractitionerEntry, Reference>();
  for (const practitioner of model.practitioners) {
    const key = matchingIdentifier(practitioner.resource.identifier);
    if (key === undefined) {
      contained.push(withId(practitioner.resource, practitioner.localId));
      practitioners.set(practitioner, { reference: `#${practitioner.localId}` });
    } else {
      const url = fullUrlFor('Practitioner', identifierKey([key]));
      if (!entries.some((e) => e.fullUrl === url)) entries.push(entry(url, practitioner.resource, createIfAbsent('Practitioner', key)));
      practitioners.set(practitioner, { reference: url });
    }
  }

  let endpoint: Reference[] | undefined;
  if (options.endpoint !== undefined) {
    const baseUrl = options.endpoint.baseUrl;
    const resource = r5 ? dicomwebEndpointR5(baseUrl) : dicomwebEndpointR4(baseUrl);
    const url = fullUrlFor('Endpoint', baseUrl);
    // R4 and R5 Endpoints are both Resources; the R5 one is typed from 'fhir/r5'.
    entries.push(entry(url, resource as Resource, createIfAbsent('Endpoint', endpointIdentifier(baseUrl))));
    endpoint = [{ reference: url }];
  }

  const studyUrl = `urn:uuid:${uuidV5(model.uid, NAMESPACE_OID)}`;
  const studyReference: Reference = { reference: studyUrl };

  let basedOn: Reference[] | undefined;
  if (hasOrder(model.order)) {
    const orderKey = matchingIdentifier(model.order.accession === undefined ? [] : [model.order.accession]);
    const serviceRequest = orderResource(model, subject, r5);
    if (orderKey !== undefined && serverPatient) {
      const url = fullUrlFor('ServiceRequest', identifierKey([orderKey]));
      entries.push(entry(url, serviceRequest, createIfAbsent('ServiceRequest', orderKey)));
      basedOn = [{ reference: url }];
    } else {
      contained.push(withId(serviceRequest, CONTAINED_ORDER_ID));
      basedOn = [{ reference: `#${CONTAINED_ORDER_ID}` }];
    }
  }

  const measurements: [number | undefined, { code: string; display: string }, string][] = [
    [model.weightKg, { code: '29463-7', display: 'Body weight' }, 'kg'],
    [model.heightM, { code: '8302-2', display: 'Body height' }, 'm'],
  ];
  const issues = model.issues;
  for (const [value, code, unit] of measurements) {
    if (value === undefined) continue;
    if (!serverPatient) {
      const message = `${code.display} Observation left out: the Patient has no identifier with a system, so it is not a server resource an Observation could refer to`;
      if (!issues.some((i) => i.message === message)) issues.push({ code: 'not-published', message });
      continue;
    }
    const resource = observation(model, code, { value, unit }, subject, studyReference);
    const identifier = observationIdentifier(model.uid, code.code);
    entries.push(entry(fullUrlFor('Observation', `${model.uid}|${code.code}`), resource, createIfAbsent('Observation', identifier)));
  }

  const placement: Placement = {
    id: undefined,
    subject,
    practitioner: (p) => practitioners.get(p) as Reference,
    basedOn,
    endpoint,
  };
  // Patient, Practitioner and ServiceRequest JSON is the same in R4 and R5 for every element
  // written here, except ServiceRequest.code, which orderResource already shaped.
  const study = r5
    ? imagingStudyR5(model, placement, contained as unknown as Parameters<typeof imagingStudyR5>[2])
    : imagingStudyR4(model, placement, contained);
  entries.push(entry(studyUrl, study as Resource, imagingStudyRequest(model.uid)));

  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: entries };
  return r5 ? (bundle as unknown as BundleR5) : bundle;
}
