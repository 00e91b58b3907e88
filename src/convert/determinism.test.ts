import { describe, expect, it } from 'vitest';
import { convertStudy, type ConvertOptions } from './index.js';
import type { Dataset } from '../dicom/dataset.js';
import { bareInstance, ctInstance, num, richStudy, shuffled, srInstance, text, withElements } from '../../test/support/datasets.js';

function mixedStudy(): Dataset[] {
  return [
    ...richStudy(),
    ctInstance(4),
    ctInstance(4),
    withElements(ctInstance(5), { '00200013': undefined }),
    withElements(ctInstance(6), { '00081030': text('LO', 'Another description') }),
    withElements(bareInstance('1.2.826.0.1.3680043.8.498.1.7', '1.2.826.0.1.3680043.8.498.1.7.1'), { '00200011': num('IS', 1) }),
    withElements(srInstance(), { '00080018': text('UI', '1.2.826.0.1.3680043.8.498.1.2.9'), '00200013': num('IS', 1) }),
  ];
}

describe('convertStudy determinism', () => {
  it.each<[string, ConvertOptions]>([
    ['R4 ImagingStudy', {}],
    ['R5 ImagingStudy', { fhirVersion: 'R5' }],
    ['R4 Bundle', { format: 'bundle', endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs.example/dicom-web' } }],
    ['R5 Bundle', { format: 'bundle', fhirVersion: 'R5' }],
  ])('gives byte-identical %s JSON for the datasets in any order', (_name, options) => {
    const datasets = mixedStudy();
    const expected = JSON.stringify(convertStudy(datasets, options));
    for (let seed = 1; seed <= 20; seed += 1) {
      expect(JSON.stringify(convertStudy(shuffled(datasets, seed), options))).toBe(expected);
    }
    expect(JSON.stringify(convertStudy([...datasets].reverse(), options))).toBe(expected);
  });

  it('gives each call its own objects, so changing one output does not change the next', () => {
    const options: ConvertOptions = { endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs.example/dicom-web' } };
    const expected = JSON.stringify(convertStudy(richStudy(), options));
    const first = convertStudy(richStudy(), options);
    const scribble = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(scribble);
      else if (typeof value === 'object' && value !== null) {
        for (const [key, child] of Object.entries(value)) {
          if (typeof child === 'string') (value as Record<string, unknown>)[key] = 'changed';
          else scribble(child);
        }
      }
    };
    scribble(first.resource);
    expect(JSON.stringify(convertStudy(richStudy(), options))).toBe(expected);
  });

  it('does not change its input', () => {
    const datasets = richStudy();
    const before = JSON.stringify(datasets);
    convertStudy(datasets, { format: 'bundle' });
    convertStudy(datasets, { fhirVersion: 'R5' });
    expect(JSON.stringify(datasets)).toBe(before);
  });
});
