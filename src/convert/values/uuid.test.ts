import { describe, expect, it } from 'vitest';
import { NAMESPACE_OID, NAMESPACE_URL, uuidV5 } from './uuid.js';

describe('uuidV5', () => {
  it.each([
    // Reference values from Python's uuid.uuid5 (RFC 4122 §4.3).
    ['python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '886313e1-3b8a-5372-9b90-0c9aee199e5d'],
    ['http://python.org/', NAMESPACE_URL, '4c565f0d-3f5a-5890-b41b-20cf47701c5e'],
    ['1.2.840.113619', NAMESPACE_OID, '86cfe448-167e-5038-9e1a-a1837b08023e'],
  ])('derives UUID v5 of %j in namespace %s as %s', (name, namespace, expected) => {
    expect(uuidV5(name, namespace)).toBe(expected);
  });

  it('is stable and version 5, variant RFC 4122', () => {
    const id = uuidV5('1.2.3');
    expect(id).toBe(uuidV5('1.2.3'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('rejects a namespace that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(TypeError);
  });
});
