import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './canonical.js';

describe('canonical content', () => {
  it('sorts object keys at every level but keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }, 3] })).toBe('{"a":[{"c":2,"d":1},3],"b":1}');
  });

  it('gives the same hash whatever the key order or meta', () => {
    const a = contentHash({ resourceType: 'ImagingStudy', id: '1', meta: { versionId: '1' } } as { meta?: unknown });
    const b = contentHash({ id: '1', resourceType: 'ImagingStudy', meta: { versionId: '7' } } as { meta?: unknown });
    expect(a).toBe(b);
  });

  it('gives a different hash when the content differs', () => {
    expect(contentHash({ id: '1' } as { meta?: unknown })).not.toBe(contentHash({ id: '2' } as { meta?: unknown }));
  });
});
