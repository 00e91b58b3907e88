import { describe, expect, it } from 'vitest';
import { encodeSearchValue, identifierQuery } from './search-url.js';

describe('encodeSearchValue', () => {
  it.each([
    ['urn:oid:1.2.3', 'urn:oid:1.2.3'],
    ['http://pacs.example/dicom-web', 'http://pacs.example/dicom-web'],
    ['A B', 'A%20B'],
    ['a&b=c', 'a%26b%3Dc'],
    ['a|b', 'a%5C%7Cb'],
    ['a,b', 'a%5C%2Cb'],
    ['a$b', 'a%5C%24b'],
    ['a\\b', 'a%5C%5Cb'],
    ['Müller#1?', 'M%C3%BCller%231%3F'],
  ])('encodes %j as %j', (value, expected) => {
    expect(encodeSearchValue(value)).toBe(expected);
  });
});

describe('identifierQuery', () => {
  it.each([
    [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' }, 'identifier=urn:dicom:uid|urn:oid:1.2.3'],
    [{ value: 'MRN 1' }, 'identifier=MRN%201'],
    [{ system: 'urn:oid:1.2' }, undefined],
  ])('writes %j as %j', (identifier, expected) => {
    expect(identifierQuery(identifier)).toBe(expected);
  });
});
