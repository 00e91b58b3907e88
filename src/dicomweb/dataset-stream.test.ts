import { describe, expect, it } from 'vitest';
import type { Dataset } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';
import { DatasetStreamError, DatasetStreamReader } from './dataset-stream.js';

const KNOWN = new Set<string>(Object.values(Tag));

/** What the converter sees of a fully parsed dataset: its elements named in `Tag`, in order. */
function known(dataset: Record<string, unknown>): Dataset {
  return Object.fromEntries(Object.entries(dataset).filter(([key]) => KNOWN.has(key))) as Dataset;
}

const DATASETS = [
  {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    '00080018': { vr: 'UI', Value: ['1.2.3.1'] },
    '00090010': { vr: 'LO', Value: ['PRIVATE "quoted" {brace} [bracket] \\ back'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^J\u00f6rg', Ideographic: '\u5c71\u7530' }] },
    '00081032': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['X}'] }, '00080104': { vr: 'LO', Value: ['a\\"b'] } }] },
    '00200013': { vr: 'IS', Value: [1] },
    '00280030': { vr: 'DS', Value: [0.5, 0.5] },
    '00431029': { vr: 'OB', BulkDataURI: 'http://x/bulk' },
    '0020000D': { vr: 'UI', Value: ['1.2.3'] },
    '0020000E': { vr: 'UI', Value: ['1.2.3.4'] },
  },
  {
    '00080018': { vr: 'UI', Value: ['1.2.3.2'] },
    '00081032': { vr: 'SQ' },
    '00200013': { vr: 'IS', Value: [2] },
    '0020000D': { vr: 'UI', Value: ['1.2.3'] },
    '0020000E': { vr: 'UI', Value: ['1.2.3.4'] },
  },
  {},
];

function readAll(chunks: readonly Buffer[], max?: number): Dataset[] {
  const out: Dataset[] = [];
  const reader = new DatasetStreamReader((ds) => out.push(ds), max);
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return out;
}

function errorOf(body: string, max?: number): DatasetStreamError {
  try {
    readAll([Buffer.from(body)], max);
  } catch (error) {
    if (error instanceof DatasetStreamError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('DatasetStreamReader', () => {
  const pretty = Buffer.from(JSON.stringify(DATASETS, null, 2));
  const compact = Buffer.from(JSON.stringify(DATASETS));

  it('gives, of each dataset, exactly the elements named in Tag, as JSON.parse would, in key order', () => {
    const out = readAll([pretty]);
    expect(out).toEqual(DATASETS.map(known));
    expect(out.map((ds) => Object.keys(ds))).toEqual(DATASETS.map((ds) => Object.keys(known(ds))));
    expect(out[0]).not.toHaveProperty('00090010');
    expect(out[0]).not.toHaveProperty('00431029');
  });

  it('gives the same datasets whatever the chunk boundaries, down to a split at every byte', () => {
    const expected = DATASETS.map(known);
    for (const body of [pretty, compact]) {
      for (let cut = 1; cut < body.length; cut++) {
        expect(readAll([body.subarray(0, cut), body.subarray(cut)])).toEqual(expected);
      }
      const bytes = [...body].map((b) => Buffer.from([b]));
      expect(readAll(bytes)).toEqual(expected);
    }
  });

  it('hands out the previous element object when the bytes of a value repeat', () => {
    const [first, second] = readAll([compact]);
    expect(second?.[Tag.StudyInstanceUID]).toBe(first?.[Tag.StudyInstanceUID]);
    expect(second?.[Tag.SOPInstanceUID]).not.toBe(first?.[Tag.SOPInstanceUID]);
  });

  it('reads an empty array and a byte order mark', () => {
    expect(readAll([Buffer.from(' [ ] \n')])).toEqual([]);
    expect(readAll([Buffer.from('\ufeff[{}]')])).toEqual([{}]);
  });

  it.each([
    ['<html>proxy login</html>', 'not-json'],
    ['', 'truncated'],
    ['{"error":"x"}', 'not-datasets'],
    ['[1,2]', 'not-datasets'],
    ['[["x"]]', 'not-datasets'],
    ['[{}] trailing', 'not-json'],
    ['[{"00080018": {vr: UI}}]', 'not-json'],
    ['[{"00080018": 5}]', 'not-datasets'],
    ['[{"00080018": {"vr": "UI"}}', 'truncated'],
    ['[{"00080018": {"vr": "UI", "Value": ["1.2', 'truncated'],
  ])('%j is %s', (body, problem) => {
    expect(errorOf(body).problem).toBe(problem);
  });

  it('refuses a dataset larger than the limit, naming the limit, and accepts one within it', () => {
    const body = JSON.stringify([{ '00090010': { vr: 'LO', Value: ['x'.repeat(2000)] } }]);
    const error = errorOf(body, 1000);
    expect(error.problem).toBe('too-large');
    expect(error.message).toContain('larger than 1000 bytes');
    expect(readAll([Buffer.from(body)], 4000)).toEqual([{}]);
  });

  it('does not quote the value of an element that is not valid JSON', () => {
    const error = errorOf('[{"00100010": {"vr": "PN", "Value": [DOE^JOHN]}}]');
    expect(error.message).toBe('element 00100010 of dataset 1 is not valid JSON');
  });
});
