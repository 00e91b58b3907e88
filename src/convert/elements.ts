/**
 * The ImagingStudy elements the converter owns, as the type-level lists `defined` checks
 * (`fields.ts`). Series and instance elements are the same in R4 and R5 (only their value types
 * differ); at study level R4's `procedureCode`/`reasonCode` became `procedure`/`reason` in R5.
 */

export type InstanceElement = 'uid' | 'sopClass' | 'number' | 'title';

export type SeriesElement =
  | 'uid'
  | 'number'
  | 'modality'
  | 'description'
  | 'numberOfInstances'
  | 'bodySite'
  | 'laterality'
  | 'specimen'
  | 'started'
  | 'performer'
  | 'instance';

/** Study elements of both releases; each adds its own procedure and reason elements. */
export type StudyElement =
  | 'id'
  | 'contained'
  | 'identifier'
  | 'status'
  | 'modality'
  | 'subject'
  | 'started'
  | 'basedOn'
  | 'referrer'
  | 'endpoint'
  | 'numberOfSeries'
  | 'numberOfInstances'
  | 'location'
  | 'description'
  | 'series';
