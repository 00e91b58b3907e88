/** Where the supporting resources of a study live: contained (default form) or Bundle entries. */
import type { Reference } from 'fhir/r4';
import type { PractitionerEntry } from './practitioners.js';

/** How an ImagingStudy renderer refers to resources it does not build itself. */
export interface Placement {
  /** `undefined` in Bundle form, where the conditional update decides the id. */
  id: string | undefined;
  subject: Reference;
  practitioner(entry: PractitionerEntry): Reference;
  basedOn: Reference[] | undefined;
  endpoint: Reference[] | undefined;
}
