import { describe, expect, it } from 'vitest';
import { buildCapabilityStatement } from './metadata.js';
import { version } from '../../version.js';

describe('CapabilityStatement', () => {
  it('states the configured FHIR release, the software version and the ImagingStudy interactions', () => {
    const r5 = buildCapabilityStatement('http://fhir.test', { fhirVersion: 'R5', requiresToken: false, startedAt: '2026-01-01T00:00:00Z' });
    expect(r5.fhirVersion).toBe('5.0.0');
    expect(r5.software).toEqual({ name: 'dicom2fhir', version });
    expect(r5.implementation?.url).toBe('http://fhir.test');
    expect(r5.rest?.[0]?.security).toBeUndefined();
    expect(r5.rest?.[0]?.resource?.[0]?.interaction).toEqual([{ code: 'read' }, { code: 'vread' }, { code: 'history-instance' }, { code: 'search-type' }]);
    const r4 = buildCapabilityStatement('http://fhir.test', { fhirVersion: 'R4', requiresToken: true, startedAt: '2026-01-01T00:00:00Z' });
    expect(r4.fhirVersion).toBe('4.0.1');
    expect(r4.rest?.[0]?.security?.description).toContain('Authorization: Bearer');
  });
});
