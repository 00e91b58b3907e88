/**
 * The Bundle form (SPEC §2, §2.6): a FHIR `transaction` in which Patient, Practitioners,
 * ServiceRequest, Observations, Endpoint and the ImagingStudy are separate entries, each
 * written with a conditional update (PUT `Type?identifier=…`) or a conditional create
 * (POST with `ifNoneExist`) so that posting the same study twice creates nothing new.
 */
import type {
  Bundle,
  BundleEntry,
  BundleEntryRequest,
  Identifier,
  Observation,
  Reference,
  Resource,
  ServiceRequest,
} from 'fhir/r4';
import type { Bundle as BundleR5 } from 'fhir/r5';
import { defined, nonEmpty } from './fields.js';
import { dicomwebEndpointR4, dicomwebEndpointR5, endpointIdentifier, fileEndpointReference } from './endpoint.js';
import { fullUrlFor, identifierKey } from './ids.js';
import type { StudyModel } from './model.js';
import type { ConvertOptions } from './options.js';
import { hasOrder } from './orders.js';
import type { Placement } from './placement.js';
import type { PractitionerEntry } from './practitioners.js';
import { imagingStudyR4 } from './r4.js';
import { imagingStudyR5 } from './r5.js';
import { encodeSearchValue, identifierQuery } from './search-url.js';
import { DICOM_UID_SYSTEM, LOINC_SYSTEM, OBSERVATION_CATEGORY_SYSTEM, UCUM_SYSTEM } from './systems.js';
import { NAMESPACE_OID, uuidV5 } from './values/uuid.js';

/**
 * PUT on `Type?identifier=system|value` when the identifier has a system (unique by
 * definition), POST with `ifNoneExist` when it has only a value, plain POST without any.
 */
function conditionalRequest(resourceType: string, identifier: Identifier | undefined): BundleEntryRequest {
  const query = identifier === undefined ? undefined : identifierQuery(identifier);
  if (query === undefined) return { method: 'POST', url: resourceType };
  if (identifier?.system !== undefined) return { method: 'PUT', url: `${resourceType}?${query}` };
  return { method: 'POST', url: resourceType, ifNoneExist: query };
}

function entry(fullUrl: string, resource: Resource, request: BundleEntryRequest): BundleEntry {
  return { fullUrl, resource, request };
}

/**
 * The practitioner's first identifier with a system is the one to find it by, else any
 * identifier. A person DICOM knows only by name is created only if no Practitioner has
 * exactly that family and given name (R4 string search `:exact`), so a repeated post does
 * not add one copy per run; two people of the same name are then one Practitioner, as in
 * the DICOM data itself.
 */
function practitionerRequest(practitioner: PractitionerEntry): BundleEntryRequest {
  const identifiers = practitioner.resource.identifier ?? [];
  if (identifiers.length > 0) {
    return conditionalRequest('Practitioner', identifiers.find((i) => i.system !== undefined) ?? identifiers[0]);
  }
  const name = practitioner.resource.name?.[0];
  const terms: string[] = [];
  if (name?.family !== undefined) terms.push(`family:exact=${encodeSearchValue(name.family)}`);
  for (const given of name?.given ?? []) terms.push(`given:exact=${encodeSearchValue(given)}`);
  return terms.length === 0
    ? { method: 'POST', url: 'Practitioner' }
    : { method: 'POST', url: 'Practitioner', ifNoneExist: terms.join('&') };
}

function practitionerFullUrl(practitioner: PractitionerEntry): string {
  const { identifier, name } = practitioner.resource;
  return identifier !== undefined
    ? fullUrlFor('Practitioner', identifierKey(identifier))
    : fullUrlFor('Practitioner', `name|${JSON.stringify(name ?? [])}`);
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
    // The study's UID identifies the measurement taken for it, so a repeated transaction
    // updates the same Observation instead of adding one per run.
    identifier: [{ system: DICOM_UID_SYSTEM, value: `urn:oid:${model.uid}` }],
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

/** Builds the transaction Bundle for R4 or R5 (the same entries; Endpoint, ServiceRequest.code and ImagingStudy differ). */
export function studyBundle(model: StudyModel, options: ConvertOptions): Bundle | BundleR5 {
  const r5 = options.fhirVersion === 'R5';
  const entries: BundleEntry[] = [];

  const patientIdentifier = model.patient.identifier?.[0];
  const patientUrl = fullUrlFor(
    'Patient',
    patientIdentifier === undefined ? `study|${model.uid}` : identifierKey([patientIdentifier]),
  );
  entries.push(entry(patientUrl, model.patient, conditionalRequest('Patient', patientIdentifier)));
  const subject: Reference = { reference: patientUrl };

  for (const practitioner of model.practitioners) {
    entries.push(entry(practitionerFullUrl(practitioner), practitioner.resource, practitionerRequest(practitioner)));
  }

  let endpoint: Reference[] | undefined;
  if (options.endpoint?.kind === 'file') {
    endpoint = [{ reference: fileEndpointReference(options.endpoint.directory) }];
  } else if (options.endpoint?.kind === 'dicomweb') {
    const baseUrl = options.endpoint.baseUrl;
    const resource = r5 ? dicomwebEndpointR5(baseUrl) : dicomwebEndpointR4(baseUrl);
    const url = fullUrlFor('Endpoint', baseUrl);
    // R4 and R5 Endpoints are both Resources; the R5 one is typed from 'fhir/r5'.
    entries.push(entry(url, resource as Resource, conditionalRequest('Endpoint', endpointIdentifier(baseUrl))));
    endpoint = [{ reference: url }];
  }

  const studyUrl = `urn:uuid:${uuidV5(model.uid, NAMESPACE_OID)}`;
  const studyReference: Reference = { reference: studyUrl };

  let basedOn: Reference[] | undefined;
  if (hasOrder(model.order)) {
    const key = model.order.identifiers[0];
    const url = fullUrlFor('ServiceRequest', key === undefined ? `study|${model.uid}` : identifierKey([key]));
    const serviceRequest = orderResource(model, subject, r5);
    entries.push(entry(url, serviceRequest, conditionalRequest('ServiceRequest', key)));
    basedOn = [{ reference: url }];
  }

  const measurements: [number | undefined, { code: string; display: string }, string][] = [
    [model.weightKg, { code: '29463-7', display: 'Body weight' }, 'kg'],
    [model.heightM, { code: '8302-2', display: 'Body height' }, 'm'],
  ];
  for (const [value, code, unit] of measurements) {
    if (value === undefined) continue;
    const resource = observation(model, code, { value, unit }, subject, studyReference);
    const url = fullUrlFor('Observation', `${model.uid}|${code.code}`);
    const query = `identifier=${DICOM_UID_SYSTEM}|urn:oid:${model.uid}&code=${LOINC_SYSTEM}|${code.code}`;
    entries.push(entry(url, resource, { method: 'PUT', url: `Observation?${query}` }));
  }

  const placement: Placement = {
    id: undefined,
    subject,
    practitioner: (p) => ({ reference: practitionerFullUrl(p) }),
    basedOn,
    endpoint,
  };
  const study = r5 ? imagingStudyR5(model, placement, []) : imagingStudyR4(model, placement, []);
  entries.push(
    entry(studyUrl, study as Resource, {
      method: 'PUT',
      url: `ImagingStudy?${identifierQuery({ system: DICOM_UID_SYSTEM, value: `urn:oid:${model.uid}` }) ?? ''}`,
    }),
  );

  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: entries };
  return r5 ? (bundle as unknown as BundleR5) : bundle;
}
