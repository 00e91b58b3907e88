/** Options and result types shared by every caller of the converter (folder, DICOMweb, CLI, bridge). */
import type { Bundle as BundleR4, ImagingStudy as ImagingStudyR4 } from 'fhir/r4';
import type { Bundle as BundleR5, ImagingStudy as ImagingStudyR5 } from 'fhir/r5';

export type FhirVersion = 'R4' | 'R5';
export type OutputFormat = 'imagingstudy' | 'bundle';

/**
 * Where clients fetch the images (SPEC §2.1 `endpoint`): a DICOMweb base URL as clients reach it.
 * A local folder is never an endpoint: a path on this machine means nothing to a FHIR server.
 */
export type StudyEndpoint = { kind: 'dicomweb'; baseUrl: string };

/** `create` (default): a Patient absent on the server is created; `existing`: never created, the push is refused. */
export type PatientMode = 'create' | 'existing';

export interface ConvertOptions {
  /** FHIR release of the output; default R4. */
  fhirVersion?: FhirVersion;
  /** `imagingstudy` (contained Patient/Practitioners) or a transaction `bundle`; default imagingstudy. */
  format?: OutputFormat;
  /** Emit `series[].instance[]`; default true. Off for huge studies. */
  includeInstances?: boolean;
  /**
   * Omit `series[].instance[]` when the study has more instances than this (counts stay exact),
   * so a huge study stays a resource a FHIR server takes comfortably; default: no limit.
   */
  maxInstancesListed?: number;
  /** IANA zone (`Europe/Berlin`) or fixed offset (`+01:00`) used when a dataset has no Timezone Offset From UTC. */
  timezone?: string;
  /** `uid` (default): the id is the Study Instance UID; `uuid`: a UUID v5 of it. */
  idStrategy?: 'uid' | 'uuid';
  endpoint?: StudyEndpoint;
  /** `identifier.system` for Patient ID when Issuer of Patient ID is absent or not a URI. */
  patientIdentifierSystem?: string;
  /** `identifier.system` for Accession Number when its issuer sequence gives none. */
  accessionSystem?: string;
  /** Issuer text (Issuer of Patient ID, Local Namespace Entity ID, scheme designator) → system URI. */
  issuerSystems?: Readonly<Record<string, string>>;
  /** Bundle form: whether the Patient may be created on the server (SPEC §2.7); default `create`. */
  patientMode?: PatientMode;
}

export type ImagingStudy = ImagingStudyR4 | ImagingStudyR5;
export type ConversionOutput = ImagingStudyR4 | ImagingStudyR5 | BundleR4 | BundleR5;

/** Something in the input worth telling the user about; the conversion still succeeded. */
export interface ConversionIssue {
  code: 'duplicate-instance' | 'missing-series-uid' | 'missing-sop-instance-uid' | 'invalid-value' | 'instances-not-listed' | 'not-published';
  message: string;
}

export interface Conversion {
  /** The ImagingStudy, or the transaction Bundle when `format` is `bundle`. */
  resource: ConversionOutput;
  studyInstanceUid: string;
  numberOfSeries: number;
  numberOfInstances: number;
  issues: ConversionIssue[];
}
