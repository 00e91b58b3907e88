/** Code system and identifier URIs used in the output, named once (FHIR R4 terminology, DICOM PS3.16). */

/** Study Instance UID identifier system (FHIR R4 ImagingStudy.identifier guidance). */
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
/** SOP Class as a URI (FHIR R4 ImagingStudy.series.instance.sopClass binding). */
export const URI_SYSTEM = 'urn:ietf:rfc:3986';
/** DICOM Controlled Terminology (PS3.16), used for modalities. */
export const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';
export const SNOMED_SYSTEM = 'http://snomed.info/sct';
export const LOINC_SYSTEM = 'http://loinc.org';
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
export const V2_0203_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const PARTICIPATION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
export const ENDPOINT_CONNECTION_TYPE_SYSTEM =
  'http://terminology.hl7.org/CodeSystem/endpoint-connection-type';
export const ENDPOINT_PAYLOAD_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type';
export const OBSERVATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';

export const DATA_ABSENT_REASON_URL = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';
export const PATIENT_BIRTH_TIME_URL = 'http://hl7.org/fhir/StructureDefinition/patient-birthTime';
export const US_CORE_ETHNICITY_URL = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity';

/** Id of the contained Patient in the self-contained form (as the Python dicom2fhir library). */
export const CONTAINED_PATIENT_ID = 'patient.contained.inline';
