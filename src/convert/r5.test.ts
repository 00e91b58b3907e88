import type { ImagingStudy as ImagingStudyR5, Endpoint as EndpointR5 } from 'fhir/r5';
import { describe, expect, it } from 'vitest';
import { convertStudy } from './index.js';
import { CT_SERIES_UID, bareInstance, richStudy } from '../../test/support/datasets.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const SCT = 'http://snomed.info/sct';

function r5(datasets = richStudy()): ImagingStudyR5 {
  return convertStudy(datasets, { fhirVersion: 'R5', endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs.example/dicom-web' } })
    .resource as ImagingStudyR5;
}

/** Walks a value and lists paths holding "", [], {} or null: R5 has no offline validator here. */
function emptyPaths(value: unknown, path = ''): string[] {
  if (value === null || value === '') return [path];
  if (Array.isArray(value)) return value.length === 0 ? [path] : value.flatMap((v, i) => emptyPaths(v, `${path}[${i}]`));
  if (typeof value === 'object') {
    const entries = Object.entries(value as object);
    return entries.length === 0 ? [path] : entries.flatMap(([k, v]) => emptyPaths(v, `${path}.${k}`));
  }
  return [];
}

describe('convertStudy R5 (structural)', () => {
  it('states modalities as CodeableConcepts', () => {
    const study = r5();
    expect(study.modality).toEqual([{ coding: [{ system: DCM, code: 'CT' }] }, { coding: [{ system: DCM, code: 'SR' }] }]);
    expect(study.series?.[0]?.modality).toEqual({ coding: [{ system: DCM, code: 'CT' }] });
  });

  it('uses procedure and reason as CodeableReferences', () => {
    const study = r5();
    expect(study.procedure).toEqual([
      { concept: { coding: [{ system: 'http://loinc.org', code: '24627-2', display: 'CT Chest' }], text: 'CT Chest' } },
    ]);
    expect(study.reason).toEqual([
      { concept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'R05', display: 'Cough' }], text: 'Cough' } },
    ]);
    expect(study).not.toHaveProperty('procedureCode');
    expect(study).not.toHaveProperty('reasonCode');
  });

  it('puts bodySite in a CodeableReference concept and laterality in a CodeableConcept', () => {
    const series = r5().series?.[0];
    expect(series?.uid).toBe(CT_SERIES_UID);
    expect(series?.bodySite).toEqual({ concept: { coding: [{ system: SCT, code: '43799004', display: 'Chest' }] } });
    expect(series?.laterality).toEqual({ coding: [{ system: SCT, code: '51440002', display: 'Bilateral' }] });
  });

  it('states a missing series modality with data-absent-reason on the concept', () => {
    const series = r5([bareInstance('1.2.1', '1.2.1.1')]).series?.[0];
    expect(series?.modality).toEqual({
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }],
    });
  });

  it('contains an R5 Endpoint (connectionType list, payload)', () => {
    const endpoint = r5().contained?.find((c) => c.resourceType === 'Endpoint') as EndpointR5;
    expect(endpoint.connectionType[0]?.coding?.[0]?.code).toBe('dicom-wado-rs');
    expect(endpoint.payload?.[0]?.type?.[0]?.coding?.[0]?.code).toBe('113014');
  });

  it('keeps subject, referrer and performers on contained resources and writes no empty values', () => {
    const study = r5();
    expect(study.subject).toEqual({ reference: '#patient.contained.inline' });
    expect(study.referrer).toEqual({ reference: '#practitioner-1' });
    expect(emptyPaths(study)).toEqual([]);
    expect(emptyPaths(r5([bareInstance('1.2.1', '1.2.1.1')]))).toEqual([]);
  });

  it('writes no empty values in the R5 transaction Bundle either', () => {
    const bundle = convertStudy(richStudy(), { fhirVersion: 'R5', format: 'bundle' }).resource;
    expect(bundle.resourceType).toBe('Bundle');
    expect(emptyPaths(bundle)).toEqual([]);
  });
});
