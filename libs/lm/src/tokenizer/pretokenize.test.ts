import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPreTokenizer, PRE_TOKEN_REGEX } from './pretokenize.ts';

const split = createPreTokenizer();

test('English: words keep their leading space, digits stand alone, punctuation runs', () => {
  assert.equal(split("Hello, world!  It's 42."), ['Hello', ',', ' world', '!', ' ', ' It', "'", 's', ' 4', '2', '.']);
});

test('Japanese: split into kanji, hiragana and katakana runs', () => {
  assert.equal(split('私は東京大学で勉強しています。コンピューターを使う'), [
    '私',
    'は',
    '東京大学',
    'で',
    '勉強',
    'しています',
    '。',
    'コンピューター',
    'を',
    '使',
    'う',
  ]);
});

test('Korean, full-width and unusual text are split without losing a character', () => {
  const texts = ['한국어 텍스트입니다.', 'ＡＢＣ１２３　全角ｶﾀｶﾅ', '𠮷野家 🙂\n\n\tcafé', 'mixed漢字andかな'];
  for (const t of texts) assert.is(split(t).join(''), t);
  assert.equal(split('mixed漢字andかな'), ['mixed', '漢字', 'and', 'かな']);
  assert.equal(split('한국어 텍스트'), ['한국어', ' 텍스트']);
});

test('the pattern is plain Oniguruma-compatible text (no JS-only escapes)', () => {
  assert.not.match(PRE_TOKEN_REGEX, /\\u/);
  assert.match(PRE_TOKEN_REGEX, /\\x\{4E00\}/);
});

test.run();
