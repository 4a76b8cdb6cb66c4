import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { corpusTexts, scriptComposition } from './composition.ts';
import { langProfile } from './langs.ts';

test('composition counts non-whitespace characters by class; ー and 々 are Japanese, fullwidth Ａ is Latin', () => {
  // 11 counted: ポ ー ト 々 (own 4), a Ａ (Latin 2), α (other letter), 4 2 (digits), % ! (punctuation) ; spaces skipped.
  const c = scriptComposition(['ポート 々 aＡ α', '42 %!\n'], langProfile('ja'));
  assert.is(c.chars, 11);
  assert.is(c.own, 4 / 11);
  assert.is(c.latin, 2 / 11);
  assert.is(c.otherLetters, 1 / 11);
  assert.is(c.digits, 2 / 11);
  assert.is(c.punctuation, 2 / 11);
  assert.is(c.other, 0);
  const en = scriptComposition(['Hello, ポ'], langProfile('en'));
  assert.is(en.own, 5 / 7); // Latin is English's own script; the katakana is another language's letter
  assert.is(en.otherLetters, 1 / 7);
  assert.equal(scriptComposition([], langProfile('ja')).chars, 0);
  assert.is(scriptComposition(['  \n'], langProfile('ja')).own, 0);
});

test('corpusTexts reads single-language and parallel records and names the file and line of a bad one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'composition-'));
  const put = (name: string, lines: string[]) => {
    writeFileSync(join(dir, name), gzipSync(lines.join('\n')));
    return join(dir, name);
  };
  assert.equal(corpusTexts(put('train.ja.jsonl.gz', ['{"text":"日本"}', '{"text":"語"}', '']), 'ja'), ['日本', '語']);
  assert.equal(corpusTexts(put('parallel-dev.jsonl.gz', ['{"text":{"en":"a","ja":"あ"}}']), 'ja'), ['あ']);
  const bad = put('eval.ja.jsonl.gz', ['{"text":"ok"}', '{"text":', '{"text":3}']);
  assert.throws(
    () => corpusTexts(bad, 'ja'),
    (e: Error) => /eval\.ja\.jsonl\.gz:2: not JSON/.test(e.message),
  );
  const wrong = put('parallel-test.jsonl.gz', ['{"text":{"en":"a"}}']);
  assert.throws(
    () => corpusTexts(wrong, 'ja'),
    (e: Error) => /parallel-test\.jsonl\.gz:1: no text for language 'ja'/.test(e.message),
  );
});

test.run();
