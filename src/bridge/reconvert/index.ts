/** Background re-conversion of studies stored by another FHIR version or converter output schema. */
export { createReconverter, reconversionReason, type Reconverter, type ReconverterOptions } from './reconverter.js';
