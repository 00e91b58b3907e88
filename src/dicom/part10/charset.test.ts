import { describe, expect, it } from 'vitest';
import { characterSetDecoder } from './charset.js';

function decode(terms: (string | null)[], bytes: number[] | string): string {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return characterSetDecoder(terms)(buffer, 0, buffer.length);
}

describe('characterSetDecoder', () => {
  it.each([
    [[], 'Doe^John', 'Doe^John'],
    [[''], 'Doe^John', 'Doe^John'],
    [['ISO_IR 6'], 'Doe^John', 'Doe^John'],
    [[''], 'Buc^J\xe9r\xf4me', 'Buc^Jérôme'],
    [['ISO_IR 100'], 'Buc^J\xe9r\xf4me', 'Buc^Jérôme'],
    [['ISO_IR 100'], '\x80\x9f', '\x80\x9f'],
    [['ISO_IR 101'], '\xa3\xf3d\xbc', 'Łódź'],
    [['ISO_IR 144'], '\xbb\xee\xdace\xdc\xd1yp\xd3', 'Люкceмбypг'],
    [['ISO_IR 126'], '\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2', 'Διονυσιος'],
    [['ISO_IR 127'], '\xe2\xc8\xc7\xe6\xea^\xe4\xe6\xd2\xc7\xd1', 'قباني^لنزار'],
    [['ISO_IR 138'], '\xf9\xf8\xe5\xef^\xe3\xe1\xe5\xf8\xe4', 'שרון^דבורה'],
    [['ISO_IR 148'], '\xdd', 'İ'],
    [['ISO_IR 166'], '\xb9\xd2\xc2', 'นาย'],
    [['ISO_IR 13'], '\xd4\xcf\xc0\xde', 'ﾔﾏﾀﾞ'],
    [['ISO_IR 192'], 'Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1=', 'Wang^XiaoDong=王^小東='],
    [['GB18030'], 'Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab=', 'Wang^XiaoDong=王^小东='],
    [['GBK'], '\xcd\xf5', '王'],
    [['', 'ISO 2022 IR 87'], 'Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B', 'Yamada^Tarou=山田^太郎'],
    [['ISO 2022 IR 13', 'ISO 2022 IR 87'], '\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J', 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田'],
    [['', 'ISO 2022 IR 149'], 'Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7', 'Hong^Gildong=洪^吉洞'],
    [['', 'ISO 2022 IR 58'], '\x1b$)A\xcd\xf5', '王'],
    [['ISO 2022 IR 100'], 'J\xe9r\xf4me', 'Jérôme'],
    [['', 'ISO 2022 IR 100'], 'x\x1b-AJ\xe9r\xf4me', 'xJérôme'],
    [['', 'ISO 2022 IR 87'], 'broken\x1b$', 'broken$'],
    [['', 'ISO 2022 IR 87'], '\x1b$B;3ED \x1b(B', '山田 '],
    [['', 'ISO 2022 IR 87'], '\x1b$B;3 ED\x1b(B', '山 田'],
    [['an unknown term'], 'Buc^J\xe9r\xf4me', 'Buc^Jérôme'],
  ])('decodes %j %j as %j', (terms, bytes, expected) => {
    expect(decode(terms, bytes)).toBe(expected);
  });

  it('never throws on invalid UTF-8 and marks the bad byte', () => {
    expect(decode(['ISO_IR 192'], [0x41, 0xff, 0x42])).toBe('A\ufffdB');
  });

  it('decodes only the requested byte range', () => {
    const buffer = Buffer.from('xxBuc^J\xe9r\xf4mexx', 'latin1');
    expect(characterSetDecoder(['ISO_IR 100'])(buffer, 2, buffer.length - 2)).toBe('Buc^Jérôme');
  });
});
