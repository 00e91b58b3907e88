import { describe, expect, it } from 'vitest';
import { toHumanNames } from './person-name.js';

describe('toHumanNames', () => {
  it.each([
    [{ Alphabetic: 'Doe^John' }, [{ text: 'John Doe', family: 'Doe', given: ['John'] }]],
    [{ Alphabetic: 'Doe^John^Paul^Dr.^Jr.' }, [{ text: 'Dr. John Paul Doe Jr.', family: 'Doe', given: ['John', 'Paul'], prefix: ['Dr.'], suffix: ['Jr.'] }]],
    [{ Alphabetic: 'Doe' }, [{ text: 'Doe', family: 'Doe' }]],
    [{ Alphabetic: '^John' }, [{ text: 'John', given: ['John'] }]],
    [{ Alphabetic: 'Doe^^^^' }, [{ text: 'Doe', family: 'Doe' }]],
    [{ Alphabetic: '^^^^' }, []],
    [{ Alphabetic: ' Doe ^ John ' }, [{ text: 'John Doe', family: 'Doe', given: ['John'] }]],
    [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }, [
      { text: 'Tarou Yamada', family: 'Yamada', given: ['Tarou'] },
      { text: '太郎 山田', family: '山田', given: ['太郎'] },
      { text: 'たろう やまだ', family: 'やまだ', given: ['たろう'] },
    ]],
    [{ Alphabetic: 'Yamada^Tarou=山田^太郎' }, [
      { text: 'Tarou Yamada', family: 'Yamada', given: ['Tarou'] },
      { text: '太郎 山田', family: '山田', given: ['太郎'] },
    ]],
    [{ Ideographic: '山田^太郎' }, [{ text: '太郎 山田', family: '山田', given: ['太郎'] }]],
  ])('turns PN %j into %j', (value, expected) => {
    expect(toHumanNames([value])).toEqual(expected);
  });

  it('gives no names for an empty list', () => {
    expect(toHumanNames([])).toEqual([]);
  });
});
