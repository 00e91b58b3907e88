/** The self-contained form: one ImagingStudy with its Patient, Practitioners and Endpoint `contained` (SPEC §2). */
import type { Reference, Resource as ResourceR4 } from 'fhir/r4';
import type { Resource as ResourceR5 } from 'fhir/r5';
import { dicomwebEndpointR4, dicomwebEndpointR5 } from './endpoint.js';
import type { StudyModel } from './model.js';
import type { ConvertOptions, ImagingStudy } from './options.js';
import { logicalOrderReference } from './order-reference.js';
import type { Placement } from './placement.js';
import { imagingStudyR4 } from './r4.js';
import { imagingStudyR5 } from './r5.js';
import { CONTAINED_PATIENT_ID } from './systems.js';

const CONTAINED_ENDPOINT_ID = 'endpoint';

/** resourceType, then id, then the rest: the usual FHIR JSON element order. */
export function withId<T extends ResourceR4>(resource: T, id: string): T {
  const { resourceType, ...rest } = resource;
  return { resourceType, id, ...rest } as T;
}

/**
 * Contained resources must be referenced from their container (R4 §2.3.0.2 dom-3): the
 * Patient by `subject`, Practitioners by `referrer`/`performer.actor`, the Endpoint by
 * `endpoint`. The ServiceRequest is referred to logically (by accession identifier) because
 * it is not known here; weight and height need the Bundle form (no element could reference them).
 */
export function containedStudy(model: StudyModel, options: ConvertOptions, id: string): ImagingStudy {
  const r5 = options.fhirVersion === 'R5';
  const contained: ResourceR4[] = [withId(model.patient, CONTAINED_PATIENT_ID)];
  for (const entry of model.practitioners) contained.push(withId(entry.resource, entry.localId));
  let endpoint: Reference[] | undefined;
  if (options.endpoint !== undefined) {
    const resource = r5
      ? dicomwebEndpointR5(options.endpoint.baseUrl, CONTAINED_ENDPOINT_ID)
      : dicomwebEndpointR4(options.endpoint.baseUrl, CONTAINED_ENDPOINT_ID);
    contained.push(resource as ResourceR4);
    endpoint = [{ reference: `#${CONTAINED_ENDPOINT_ID}` }];
  }
  const basedOn = logicalOrderReference(model.order);
  const placement: Placement = {
    id,
    subject: { reference: `#${CONTAINED_PATIENT_ID}` },
    practitioner: (entry) => ({ reference: `#${entry.localId}` }),
    basedOn: basedOn === undefined ? undefined : [basedOn],
    endpoint,
  };
  // Patient and Practitioner JSON is the same in R4 and R5 for every element written here.
  return r5
    ? imagingStudyR5(model, placement, contained as unknown as ResourceR5[])
    : imagingStudyR4(model, placement, contained);
}
