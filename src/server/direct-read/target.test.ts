import { describe, expect, it } from 'vitest';
import { directReadId } from './target.js';

describe('directReadId', () => {
  it('takes GET and HEAD of /ImagingStudy/<id>, with or without JSON _format values', () => {
    expect(directReadId('GET', '/ImagingStudy/1.2.840.1')).toBe('1.2.840.1');
    expect(directReadId('HEAD', '/ImagingStudy/a-B.9')).toBe('a-B.9');
    expect(directReadId('GET', '/ImagingStudy/1.2.3?')).toBe('1.2.3');
    expect(directReadId('GET', '/ImagingStudy/1.2.3?_format=json')).toBe('1.2.3');
    expect(directReadId('GET', '/ImagingStudy/1.2.3?_format=application%2Ffhir%2Bjson%3B%20charset%3Dutf-8&_format=json')).toBe('1.2.3');
    expect(directReadId('GET', `/ImagingStudy/${'9'.repeat(64)}`)).toBe('9'.repeat(64));
  });

  it('leaves every other request to the router', () => {
    for (const [method, url] of [
      ['POST', '/ImagingStudy/1.2.3'],
      ['DELETE', '/ImagingStudy/1.2.3'],
      [undefined, '/ImagingStudy/1.2.3'],
      ['GET', undefined],
      ['GET', '/ImagingStudy'],
      ['GET', '/ImagingStudy/'],
      ['GET', '/ImagingStudy/1.2.3/'],
      ['GET', '/ImagingStudy/1.2.3/_history/1'],
      ['GET', '/imagingstudy/1.2.3'],
      ['GET', '//ImagingStudy/1.2.3'],
      ['GET', '/ImagingStudy/1%2E2'],
      ['GET', '/ImagingStudy/bad_id'],
      ['GET', `/ImagingStudy/${'9'.repeat(65)}`],
      ['GET', '/ImagingStudy/1.2.3?_format=xml'],
      ['GET', '/ImagingStudy/1.2.3?_format=json&_format=xml'],
      ['GET', '/ImagingStudy/1.2.3?_summary=true'],
      ['GET', '/ImagingStudy/1.2.3?identifier=ACC1'],
    ] as const) {
      expect(directReadId(method, url), `${method} ${url}`).toBeUndefined();
    }
  });
});
