import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertStudy } from '../../src/convert/index.js';
import type { Dataset } from '../../src/dicom/dataset.js';
import { readDicomHeader } from '../../src/dicom/part10/index.js';
import { convertFolder } from '../../src/folder/convert-folder.js';
import { blockingReader, readFileBlocking } from '../../src/folder/read-file.js';
import { FOLDER_TAGS, KNOWN_TAG_KEYS } from '../../src/folder/retain.js';
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

describe('the elements the folder reader keeps', () => {
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

  it('holds only elements the converter reads, file meta included, from every file of the study, on either path', async () => {
    const reader = blockingReader();
    let instances = 0;
    for (const file of rich.dicomFiles) {
      const path = join(rich.dir, file.path);
      const onThread = readFileBlocking(path, reader);
      const inCallingThread = await readDicomHeader(path, { only: FOLDER_TAGS });
      if (onThread.kind !== 'instance' || !inCallingThread.ok) continue;
      instances++;
      for (const dataset of [onThread.dataset, inCallingThread.dataset]) {
        expect(Object.keys(dataset).filter((key) => !KNOWN_TAG_KEYS.has(key)), file.path).toEqual([]);
      }
    }
    expect(instances).toBe(rich.dicomFiles.length);
  });
});
