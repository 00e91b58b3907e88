import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getPersonNames, getSequence, getString, getStrings, type Dataset } from '../dataset.js';
import { Tag } from '../tags.js';
import { FOLDER_TAGS } from '../../folder/read-headers.js';
import { ElementReuse } from './element-reuse.js';
import { parsePart10Header, readDicomHeader, readDicomHeaderSync, type HeaderResult } from './index.js';

/** Real files from Debian's python3-pydicom (SPEC §5). */
const DATA = '/usr/lib/python3/dist-packages/pydicom/data';
const TEST_FILES = join(DATA, 'test_files');
const CHARSET_FILES = join(DATA, 'charset_files');

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Every file of the set that is not read as a dataset, with the reason it must get. */
const EXPECTED_SKIPS: Record<string, string> = {
  'test_files/README.txt': 'not-dicom',
  'test_files/dicomdirtests/README.txt': 'not-dicom',
  'test_files/dicomdirtests/TINY_ALPHA/README': 'not-dicom',
  'test_files/rtplan.dump': 'not-dicom',
  'test_files/rtstruct.dump': 'not-dicom',
  'test_files/test1.json': 'not-dicom',
  'test_files/test_PN.json': 'not-dicom',
  'test_files/zipMR.gz': 'not-dicom',
  // A stray byte before the first element: neither Part 10 nor a bare dataset (pydicom refuses it too).
  'test_files/no_meta.dcm': 'not-dicom',
  'test_files/MR_truncated.dcm': 'truncated',
  'test_files/rtplan_truncated.dcm': 'truncated',
  // Its Directory Record Sequence declares a length shorter than its items.
  'test_files/dicomdirtests/DICOMDIR-nooffset': 'malformed',
  'charset_files/FileInfo.txt': 'not-dicom',
};

const results = new Map<string, HeaderResult>();

function dataset(name: string): Dataset {
  const result = results.get(name);
  if (result === undefined) throw new Error(`${name} is not in the set`);
  if (!result.ok) throw new Error(`${name}: ${result.reason} (${result.detail})`);
  return result.dataset;
}

/** Items of a sequence the product has no named tag for (RT Plan). */
function items(ds: Dataset, key: string): Dataset[] {
  return (ds[key]?.Value ?? []) as Dataset[];
}

function alphabetic(name: string): string | undefined {
  return getPersonNames(dataset(name), Tag.PatientName)[0]?.Alphabetic;
}

beforeAll(async () => {
  const files = [...(await walk(TEST_FILES)), ...(await walk(CHARSET_FILES))];
  for (const file of files) results.set(relative(DATA, file), await readDicomHeader(file));
});

describe('readDicomHeader over the whole pydicom test set', () => {
  it('reads every DICOM file and skips exactly the expected ones with the expected reason', () => {
    expect(results.size).toBeGreaterThanOrEqual(180);
    const skipped = Object.fromEntries([...results].filter(([, r]) => !r.ok).map(([name, r]) => [name, r.ok ? 'ok' : r.reason]));
    expect(skipped).toEqual(EXPECTED_SKIPS);
  });

  it('reads CT_small.dcm with its study, patient and instance', () => {
    const ct = dataset('test_files/CT_small.dcm');
    expect(getString(ct, Tag.StudyInstanceUID)).toBe('1.3.6.1.4.1.5962.1.2.1.20040119072730.12322');
    expect(getString(ct, Tag.SOPInstanceUID)).toBe('1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322');
    expect(getString(ct, Tag.PatientID)).toBe('1CT1');
    expect(getString(ct, Tag.Modality)).toBe('CT');
    expect(alphabetic('test_files/CT_small.dcm')).toBe('CompressedSamples^CT1');
    expect(ct['00200032']).toEqual({ vr: 'DS', Value: [-158.135803, -179.035797, -75.699997] });
    expect(results.get('test_files/CT_small.dcm')).toMatchObject({ transferSyntaxUid: '1.2.840.10008.1.2.1' });
  });

  it('reads the big endian, implicit VR and compressed copies of MR_small.dcm as the same dataset', () => {
    const withoutMeta = (ds: Dataset) => Object.fromEntries(Object.entries(ds).filter(([key]) => !key.startsWith('0002')));
    const reference = withoutMeta(dataset('test_files/MR_small.dcm'));
    expect(getStrings(reference, Tag.ImageType)).toEqual(['DERIVED', 'SECONDARY', 'OTHER']);
    expect(reference['00280030']).toEqual({ vr: 'DS', Value: [0.3125, 0.3125] });
    for (const copy of ['MR_small_bigendian.dcm', 'MR_small_expb.dcm', 'MR_small_RLE.dcm', 'MR_small_jpeg_ls_lossless.dcm']) {
      expect(withoutMeta(dataset(`test_files/${copy}`)), copy).toEqual(reference);
    }
    // Implicit VR: Smallest/Largest Image Pixel Value are "US or SS" in PS3.6; the dictionary
    // cannot know which, so they read as US (same values here).
    const implicit = withoutMeta(dataset('test_files/MR_small_implicit.dcm'));
    expect({ ...implicit, '00280106': undefined, '00280107': undefined }).toEqual({ ...reference, '00280106': undefined, '00280107': undefined });
    expect(implicit['00280107']?.Value).toEqual(reference['00280107']?.Value);
  });

  it('inflates the deflated image_dfl.dcm', () => {
    const ds = dataset('test_files/image_dfl.dcm');
    expect(results.get('test_files/image_dfl.dcm')).toMatchObject({ transferSyntaxUid: '1.2.840.10008.1.2.1.99' });
    expect(getString(ds, Tag.SOPInstanceUID)).toBe('1.3.6.1.4.1.5962.1.1.0.0.0.977067309.6001.0');
    expect(ds['00280010']).toEqual({ vr: 'US', Value: [512] });
  });

  it('reads files without file meta or without a group length', () => {
    expect(getStrings(dataset('test_files/no_meta_group_length.dcm'), Tag.ImageType)).toEqual(['ORIGINAL', 'PRIMARY', 'PORTAL']);
    expect(getString(dataset('test_files/ExplVR_LitEndNoMeta.dcm'), Tag.StudyInstanceUID)).toBe('1.2.333.4444.5.6.7.8.9');
    expect(getString(dataset('test_files/ExplVR_BigEndNoMeta.dcm'), Tag.StudyInstanceUID)).toBe('1.2.333.4444.5.6.7.8.9');
    expect(results.get('test_files/ExplVR_BigEndNoMeta.dcm')).toMatchObject({ transferSyntaxUid: '1.2.840.10008.1.2.2' });
  });

  it('reads a file that declares JPEG but writes its dataset in implicit VR', () => {
    expect(getString(dataset('test_files/SC_rgb_jpeg.dcm'), Tag.Modality)).toBeDefined();
    expect(getStrings(dataset('test_files/SC_rgb_jpeg.dcm'), Tag.ImageType)).toEqual(['DERIVED', 'SECONDARY', 'OTHER']);
  });

  it('reads the nested sequences of rtplan.dcm', () => {
    const beams = items(dataset('test_files/rtplan.dcm'), '300A00B0');
    expect(beams).toHaveLength(1);
    expect(beams[0]!['300A00C2']?.Value).toEqual(['Field 1']);
    const controlPoints = items(beams[0]!, '300A0111');
    expect(controlPoints).toHaveLength(2);
    expect(controlPoints[0]!['300A0114']?.Value).toEqual([6]);
    const jaws = items(controlPoints[0]!, '300A011A');
    expect(jaws[0]!['300A00B8']?.Value).toEqual(['X']);
    expect(jaws[0]!['300A011C']?.Value).toEqual([-100, 100]);
  });

  it('reads a DICOMDIR with its Media Storage SOP Class and no study', () => {
    const dir = dataset('test_files/dicomdirtests/DICOMDIR');
    expect(getString(dir, Tag.MediaStorageSOPClassUID)).toBe('1.2.840.10008.1.3.10');
    expect(getString(dir, Tag.StudyInstanceUID)).toBeUndefined();
    expect(getSequence(dir, Tag.DirectoryRecordSequence).length).toBeGreaterThan(10);
  });

  it.each([
    ['chrFren.dcm', 'Buc^Jérôme', undefined, undefined],
    ['chrGerm.dcm', 'Äneas^Rüdiger', undefined, undefined],
    ['chrGreek.dcm', 'Διονυσιος', undefined, undefined],
    ['chrRuss.dcm', 'Люкceмбypг', undefined, undefined],
    ['chrArab.dcm', 'قباني^لنزار', undefined, undefined],
    ['chrHbrw.dcm', 'שרון^דבורה', undefined, undefined],
    ['chrX1.dcm', 'Wang^XiaoDong', '王^小東', undefined],
    ['chrX2.dcm', 'Wang^XiaoDong', '王^小东', undefined],
    ['chrH31.dcm', 'Yamada^Tarou', '山田^太郎', 'やまだ^たろう'],
    ['chrH32.dcm', 'ﾔﾏﾀﾞ^ﾀﾛｳ', '山田^太郎', 'やまだ^たろう'],
    ['chrI2.dcm', 'Hong^Gildong', '洪^吉洞', '홍^길동'],
    ['chrKoreanMulti.dcm', '김희중', undefined, undefined],
    ['chrJapMulti.dcm', 'やまだ^たろう', undefined, undefined],
  ])('decodes the patient name of %s', (file, alphabeticName, ideographic, phonetic) => {
    const name = getPersonNames(dataset(`charset_files/${file}`), Tag.PatientName)[0];
    expect(name).toEqual({ Alphabetic: alphabeticName, Ideographic: ideographic, Phonetic: phonetic });
  });

  it('uses the character set of a sequence item when it has its own', () => {
    const item = getSequence(dataset('charset_files/chrSQEncoding.dcm'), Tag.RequestedProcedureCodeSequence)[0]!;
    expect(getPersonNames(item, Tag.PatientName)[0]).toEqual({ Alphabetic: 'ﾔﾏﾀﾞ^ﾀﾛｳ', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' });
    const inherited = getSequence(dataset('charset_files/chrSQEncoding1.dcm'), Tag.RequestedProcedureCodeSequence)[0]!;
    expect(getPersonNames(inherited, Tag.PatientName)[0]?.Ideographic).toBe('山田^太郎');
  });

  it('gives multi-valued PN and LO as separate values', () => {
    const ds = dataset('charset_files/chrFrenMulti.dcm');
    expect(ds['00101000']).toEqual({ vr: 'LO', Value: ['eggs', 'spam'] });
    expect(ds['00101001']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Buc^Jérôme' }, { Alphabetic: 'Buc^Jérôme' }] });
  });

  it('reads empty binary number elements as elements without a value', () => {
    const ds = dataset('test_files/reportsi_with_empty_number_tags.dcm');
    expect([ds['00081161'], ds['00109431'], ds['00186020'], ds['00186024'], ds['00189218'], ds['00189219']]).toEqual([
      { vr: 'UL' }, { vr: 'FL' }, { vr: 'SL' }, { vr: 'US' }, { vr: 'FD' }, { vr: 'SS' },
    ]);
  });

  it('gives the same result from the whole file in memory as from the partial reads', async () => {
    for (const name of ['test_files/CT_small.dcm', 'test_files/rtplan.dcm', 'test_files/MR_truncated.dcm', 'test_files/image_dfl.dcm']) {
      const bytes = new Uint8Array(await readFile(join(DATA, name)));
      expect(parsePart10Header(bytes, { fileSize: bytes.length }), name).toEqual(results.get(name));
    }
  });

  it('reading one file after another with shared values gives each file what a read of it alone gives', () => {
    const reuse = new ElementReuse();
    let shared = 0;
    let sequences = 0;
    const names = [...results.keys()];
    // Each file twice in a row (the second read finds its values again), in both directions.
    for (const name of [...names, ...[...names].reverse()]) {
      const path = join(DATA, name);
      const alone = readDicomHeaderSync(path, { only: FOLDER_TAGS });
      const first = readDicomHeaderSync(path, { only: FOLDER_TAGS, reuse });
      const again = readDicomHeaderSync(path, { only: FOLDER_TAGS, reuse });
      expect(first, name).toEqual(alone);
      expect(again, name).toEqual(alone);
      if (!first.ok || !again.ok) continue;
      for (const [key, element] of Object.entries(again.dataset)) {
        if (element !== first.dataset[key]) continue;
        // A sequence is decoded afresh each time: its items count against the parse's item bound.
        expect(element?.vr, `${name} ${key}`).not.toBe('SQ');
        shared++;
      }
      sequences += Object.values(again.dataset).filter((element) => element?.vr === 'SQ').length;
    }
    expect(shared).toBeGreaterThan(1000);
    expect(sequences).toBeGreaterThan(10);
  });

  it('with a tag filter, gives every file the same outcome and exactly the listed elements of the whole read', async () => {
    const only = new Set([0x0020000d, 0x00100010, 0x00080060, 0x300a00b0, 0x00041220, 0x00081032]);
    const always = (key: string) => key === '00020010' || key === '00080005';
    let compared = 0;
    for (const [name, whole] of results) {
      const path = join(DATA, name);
      for (const filtered of [await readDicomHeader(path, { only }), readDicomHeaderSync(path, { only })]) {
        if (!whole.ok || !filtered.ok) {
          expect(filtered, name).toEqual(whole);
          continue;
        }
        const expected = Object.fromEntries(
          Object.entries(whole.dataset).filter(([key]) => always(key) || only.has(Number.parseInt(key, 16))),
        );
        expect(filtered.dataset, name).toEqual(expected);
        expect(filtered.transferSyntaxUid, name).toBe(whole.transferSyntaxUid);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(2 * 160);
    const plan = readDicomHeaderSync(join(TEST_FILES, 'rtplan.dcm'), { only });
    expect(plan.ok && items(plan.dataset, '300A00B0')).toEqual(items(dataset('test_files/rtplan.dcm'), '300A00B0'));
  });
});
