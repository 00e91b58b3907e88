import { describe, expect, it } from 'vitest';
import table from './body-part-examined-snomed.json' with { type: 'json' };
import { toBodySite } from './index.js';

const SCT = 'http://snomed.info/sct';

describe('toBodySite', () => {
  it.each([
    ['CHEST', '43799004', 'Chest'],
    ['Chest', '43799004', 'Chest'],
    ['chest ', '43799004', 'Chest'],
    ['THORAX', '43799004', 'Thorax'],
    ['C-SPINE', '122494005', 'Cervical spine'],
    ['c spine', '122494005', 'Cervical spine'],
    ['C_SPINE', '122494005', 'Cervical spine'],
    ['Cervical Spine', '122494005', 'Cervical spine'],
    ['L-SPINE', '122496007', 'Lumbar spine'],
    ['HEAD', '69536005', 'Head'],
    ['SKULL', '89546000', 'Skull'],
    ['Head and Neck', '774007', 'Head and Neck'],
    ['ABDOMEN', '818981001', 'Abdomen'],
    ['Whole Body', '38266002', 'Entire body'],
  ])('maps Body Part Examined %j to SNOMED %s', (text, code, display) => {
    expect(toBodySite(text)).toEqual({ system: SCT, code, display });
  });

  it.each([
    ['Left little toe nail', { code: 'Left little toe nail', userSelected: true }],
    ['Left   knee  area', { code: 'Left knee area', userSelected: true }],
  ])('keeps unknown text %j as %j', (text, expected) => {
    expect(toBodySite(text)).toEqual(expected);
  });

  it.each([[undefined], [' - ']])('gives no body site for %j', (text) => {
    expect(toBodySite(text)).toBeUndefined();
  });

  it('maps every one of the 317 PS3.16 Annex L defined terms', () => {
    expect(table).toHaveLength(317);
    for (const row of table) {
      expect(toBodySite(row.bodyPartExamined)).toEqual({ system: SCT, code: row.snomed, display: row.display });
    }
  });
});
