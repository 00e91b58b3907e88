import { describe, expect, it } from 'vitest';
import { StudyTextCache, type StudyText } from './study-text-cache.js';

function text(versionId: number, bytes: number): StudyText {
  return { versionId, headers: { ETag: `W/"${versionId}"`, 'Last-Modified': 'Sat, 01 Jun 2024 12:00:00 GMT' }, body: Buffer.alloc(bytes, 0x20) };
}

describe('StudyTextCache', () => {
  it('serves an entry for the version it holds only, and drops it for another version', () => {
    const cache = new StudyTextCache(1000);
    cache.set('a', text(1, 100));
    expect(cache.get('a', 1)?.versionId).toBe(1);
    expect(cache.get('a', 2)).toBeUndefined();
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0 });
  });

  it('replaces the entry of an id and counts its bytes once', () => {
    const cache = new StudyTextCache(1000);
    cache.set('a', text(1, 100));
    cache.set('a', text(2, 300));
    expect(cache.get('a', 2)?.body.length).toBe(300);
    expect(cache.stats()).toEqual({ entries: 1, bytes: 300 });
  });

  it('evicts the least recently used entries beyond its budget of bytes', () => {
    const cache = new StudyTextCache(1000);
    cache.set('a', text(1, 400));
    cache.set('b', text(1, 400));
    expect(cache.get('a', 1)).toBeDefined();
    cache.set('c', text(1, 400));
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toBeDefined();
    expect(cache.get('c', 1)).toBeDefined();
    expect(cache.stats()).toEqual({ entries: 2, bytes: 800 });
  });

  it('keeps nothing larger than its budget and forgets a deleted id', () => {
    const cache = new StudyTextCache(1000);
    cache.set('a', text(1, 500));
    cache.set('huge', text(1, 1001));
    expect(cache.get('huge', 1)).toBeUndefined();
    cache.delete('a');
    cache.delete('never-held');
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0 });
    expect(() => new StudyTextCache(-1)).toThrow(RangeError);
  });
});
