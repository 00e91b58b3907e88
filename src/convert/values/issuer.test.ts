import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../dicom/dataset.js';
import { issuerFromItem, issuerFromText, withIssuer } from './issuer.js';

function hd(local?: string, universal?: string, type?: string): Dataset {
  const ds: Dataset = {};
  if (local !== undefined) ds['00400031'] = { vr: 'UT', Value: [local] };
  if (universal !== undefined) ds['00400032'] = { vr: 'UT', Value: [universal] };
  if (type !== undefined) ds['00400033'] = { vr: 'CS', Value: [type] };
  return ds;
}

describe('issuerFromText', () => {
  it.each([
    ['1.2.840.113619.6.1', { system: 'urn:oid:1.2.840.113619.6.1' }],
    ['urn:oid:1.2.3', { system: 'urn:oid:1.2.3' }],
    ['http://hospital.example/mrn', { system: 'http://hospital.example/mrn' }],
    ['2A8B6C2E-1111-4F3D-9A55-0123456789AB', { system: 'urn:uuid:2a8b6c2e-1111-4f3d-9a55-0123456789ab' }],
    ['HOSPITAL A', { assignerDisplay: 'HOSPITAL A' }],
    ['1.2.x', { assignerDisplay: '1.2.x' }],
    [undefined, {}],
  ])('reads issuer %j as %j', (text, expected) => {
    expect(issuerFromText(text)).toEqual(expected);
  });
});

describe('issuerFromItem', () => {
  it.each([
    [hd('RIS', '1.2.3.4', 'ISO'), { system: 'urn:oid:1.2.3.4', assignerDisplay: 'RIS' }],
    [hd(undefined, '1.2.3.4', 'ISO'), { system: 'urn:oid:1.2.3.4' }],
    [hd(undefined, 'http://ris.example/acc', 'URI'), { system: 'http://ris.example/acc' }],
    [hd(undefined, '2a8b6c2e-1111-4f3d-9a55-0123456789ab', 'UUID'), { system: 'urn:uuid:2a8b6c2e-1111-4f3d-9a55-0123456789ab' }],
    [hd('RIS'), { assignerDisplay: 'RIS' }],
    [hd(undefined, 'SOMEDNS', 'DNS'), { assignerDisplay: 'SOMEDNS' }],
    [undefined, {}],
  ])('reads issuer item %j as %j', (item, expected) => {
    expect(issuerFromItem(item)).toEqual(expected);
  });
});

describe('withIssuer', () => {
  it.each([
    [{ system: 'urn:oid:1.2' }, undefined, { system: 'urn:oid:1.2', value: 'V' }],
    [{ assignerDisplay: 'A' }, undefined, { value: 'V', assigner: { display: 'A' } }],
    [{ assignerDisplay: 'A' }, 'http://default', { system: 'http://default', value: 'V', assigner: { display: 'A' } }],
    [{}, 'http://default', { system: 'http://default', value: 'V' }],
    [{}, undefined, { value: 'V' }],
  ])('puts issuer %j (default system %j) on the identifier as %j', (issuer, defaultSystem, expected) => {
    expect(withIssuer({}, 'V', issuer, defaultSystem)).toEqual(expected);
  });
});
