import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertStudy } from '../../src/convert/index.js';
import type { Dataset } from '../../src/dicom/dataset.js';
import { readDicomHeader } from '../../src/dicom/part10/index.js';
import { convertFolder } from '../../src/folder/convert-folder.js';
import { blockingReader, readFileBlocking } from '../../src/folder/read-file.js';
import { KNOWN_TAG_KEYS, retainKnownTags } from '../../src/folder/retain.js';
import { generateRichStudy, type RichStudyManifest } from '../support/generate/rich-study.js';

let work: string;
let rich: RichStudyManifest;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'd2f-retain-'));
  rich = await generateRichStudy(join(work, 'rich'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('retainKnownTags', () => {
  it('drops elements without a Tag constant and keeps sequences whole', () => {
    const item: Dataset = { '00080100': { vr: 'SH', Value: ['T-D3000'] }, '00091001': { vr: 'LO', Value: ['private'] } };
    const dataset: Dataset = {
      '0020000D': { vr: 'UI', Value: ['1.2.3'] },
      '00181050': { vr: 'DS', Value: [0.5] },
      '00081032': { vr: 'SQ', Value: [item] },
    };
    expect(retainKnownTags(dataset)).toEqual({ '0020000D': { vr: 'UI', Value: ['1.2.3'] }, '00081032': { vr: 'SQ', Value: [item] } });
  });

  it('changes nothing in the conversion of a study that exercises every mapping row, in every output form', async () => {
    const files = rich.dicomFiles.map((f) => join(rich.dir, f.path)).sort();
    const whole: Dataset[] = [];
    for (const path of files) {
      const header = await readDicomHeader(path);
      if (!header.ok) throw new Error(`${path}: ${header.reason}`);
      whole.push(header.dataset);
    }
    for (const options of [{}, { fhirVersion: 'R5' }, { format: 'bundle' }, { format: 'bundle', fhirVersion: 'R5' }] as const) {
      const expected = convertStudy(whole, options);
      const { outputs } = await convertFolder(rich.dir, options);
      expect(JSON.stringify(outputs[0])).toBe(JSON.stringify(expected));
    }
  });

  it('leaves nothing to drop in what a reader thread reads: only elements the converter reads, from every file of the study', () => {
    const reader = blockingReader();
    let instances = 0;
    for (const file of rich.dicomFiles) {
      const result = readFileBlocking(join(rich.dir, file.path), reader);
      if (result.kind !== 'instance') continue;
      instances++;
      expect(Object.keys(result.dataset).filter((key) => !KNOWN_TAG_KEYS.has(key)), file.path).toEqual([]);
      expect(retainKnownTags(result.dataset), file.path).toEqual(result.dataset);
    }
    expect(instances).toBe(rich.dicomFiles.length);
  });
});
