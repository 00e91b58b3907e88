/**
 * The number of the converter's output form. The bridge stores it with every ImagingStudy version
 * (SPEC §4: each version records the FHIR and converter versions that made it) and re-converts
 * studies stored under another number. Bump it only when the same DICOM input gives a different
 * ImagingStudy (a mapping added, changed or fixed), not on every release: a bump makes every
 * bridge re-fetch and re-convert its whole store.
 */
export const CONVERTER_OUTPUT_SCHEMA = 1;
