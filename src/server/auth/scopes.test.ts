import { describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, decideScopes, parseResourceScope, requiredScope, scopeTokens } from './scopes.js';

describe('SMART scopes', () => {
  it.each([
    ['system/ImagingStudy.rs', 'read', 'granted'],
    ['system/ImagingStudy.rs', 'search', 'granted'],
    ['system/ImagingStudy.r', 'read', 'granted'],
    ['system/ImagingStudy.r', 'search', 'insufficient'],
    ['system/ImagingStudy.s', 'read', 'insufficient'],
    ['system/ImagingStudy.s', 'search', 'granted'],
    ['system/ImagingStudy.cruds', 'search', 'granted'],
    ['user/ImagingStudy.rs', 'read', 'granted'],
    ['system/ImagingStudy.read', 'read', 'granted'],
    ['system/ImagingStudy.read', 'search', 'granted'],
    ['user/ImagingStudy.*', 'search', 'granted'],
    ['system/ImagingStudy.write', 'read', 'insufficient'],
    ['system/ImagingStudy.cud', 'read', 'insufficient'],
    ['system/*.read', 'read', 'granted'],
    ['system/*.rs', 'search', 'granted'],
    ['system/Patient.rs', 'read', 'insufficient'],
    ['system/ImagingStudy.rs?status=available', 'read', 'insufficient'],
    ['patient/ImagingStudy.rs', 'read', 'patient-only'],
    ['patient/*.read', 'search', 'patient-only'],
    ['system/ImagingStudy.sr', 'read', 'insufficient'],
    ['system/ImagingStudy.', 'read', 'insufficient'],
    ['openid fhirUser launch', 'read', 'insufficient'],
    ['patient/ImagingStudy.rs user/ImagingStudy.rs', 'read', 'granted'],
    [ADMIN_SCOPE, 'admin', 'granted'],
    [ADMIN_SCOPE, 'read', 'insufficient'],
    ['system/*.cruds', 'admin', 'insufficient'],
    ['system/ImagingStudy.rs', 'admin', 'insufficient'],
  ] as const)('%s for %s: %s', (scope, access, decision) => {
    expect(decideScopes(scopeTokens(scope), access)).toBe(decision);
  });

  it('reads v1 permissions as their v2 letters', () => {
    expect(parseResourceScope('user/ImagingStudy.read')?.permissions).toEqual(new Set(['r', 's']));
    expect(parseResourceScope('user/ImagingStudy.write')?.permissions).toEqual(new Set(['c', 'u', 'd']));
    expect(parseResourceScope('user/ImagingStudy.*')?.permissions).toEqual(new Set(['c', 'r', 'u', 'd', 's']));
    expect(parseResourceScope('launch/patient')).toBeUndefined();
  });

  it('splits a space-delimited scope claim and accepts an scp array', () => {
    expect(scopeTokens(' a  b ')).toEqual(['a', 'b']);
    expect(scopeTokens(['a', 3, 'b'])).toEqual(['a', 'b']);
    expect(scopeTokens(undefined)).toEqual([]);
  });

  it('names the scope a refused request needed', () => {
    expect(requiredScope('read')).toBe('system/ImagingStudy.r');
    expect(requiredScope('search')).toBe('system/ImagingStudy.s');
    expect(requiredScope('admin')).toBe(ADMIN_SCOPE);
  });
});
