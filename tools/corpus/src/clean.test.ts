import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  hasMarkup,
  hasPlaceholder,
  isCleanPair,
  isTranslated,
  normaliseSpace,
  stripAccelerators,
  wordCount,
} from './clean.ts';
import { chunkText, joinMessages } from './chunk.ts';
import { LANGS, langProfile, scriptShare } from './langs.ts';
import { htmlToText } from './text.ts';

test('placeholders and markup are detected', () => {
  for (const s of ['%s files', 'got %1$d', '%(name)s here', 'item {0}', '${HOME}/x', '%.2f MB', '100%%'])
    assert.ok(hasPlaceholder(s), s);
  for (const s of ['100 percent', 'a {b c}']) assert.not.ok(hasPlaceholder(s), s);
  for (const s of ['<b>bold</b>', 'a &amp; b', '[b]x[/b]']) assert.ok(hasMarkup(s), s);
  assert.not.ok(hasMarkup('a < b and c > d'));
});

test('accelerators are stripped in both conventions', () => {
  assert.is(stripAccelerators('ファイル(_F)'), 'ファイル');
  assert.is(stripAccelerators('開く（&O）'), '開く');
  assert.is(stripAccelerators('_File'), 'File');
  assert.is(stripAccelerators('Save &As'), 'Save As');
  assert.is(stripAccelerators('snake_case stays'), 'snake_case stays');
});

test('clean pairs: 5-40 words, no placeholders/markup/newlines, really translated', () => {
  assert.ok(isCleanPair('Could not open the selected file.', '選択したファイルを開けませんでした。'));
  assert.not.ok(isCleanPair('Open file', 'ファイルを開く'));
  assert.not.ok(isCleanPair('Could not open the file %s now', '%s を開けませんでした'));
  assert.not.ok(isCleanPair('Could not open the selected file.', 'Could not open the selected file.'));
  assert.not.ok(isCleanPair('Could not open the selected\nfile.', '開けません'));
  assert.not.ok(isCleanPair('Could not open the <b>selected</b> file.', '開けません'));
  assert.not.ok(isCleanPair(Array(41).fill('word').join(' '), '長い'));
  assert.not.ok(isCleanPair('Could not open the selected file.', '12345'));
  assert.ok(isTranslated('a', 'b'));
  assert.not.ok(isTranslated('a b', ' a  b '));
  assert.not.ok(isTranslated('a', ''));
  assert.is(wordCount('Hello, world 42 !'), 2);
  assert.is(normaliseSpace('  a \n b  '), 'a b');
});

test('script share and language profiles', () => {
  const ja = langProfile('ja');
  assert.is(scriptShare('日本語のテキスト', ja), 1);
  assert.is(scriptShare('abc', ja), 0);
  assert.is(scriptShare('123', ja), 0);
  assert.ok(Math.abs(scriptShare('ab日本', ja) - 0.5) < 1e-9);
  assert.ok(scriptShare('한국어', LANGS.ko!) === 1);
  assert.is(langProfile('zh_CN').code, 'zh', 'a Debian locale names its language');
  assert.is(langProfile('zh').locale, 'zh_CN');
  assert.throws(() => langProfile('xx'), /unsupported language 'xx' \(supported: en, ja, ko, zh \(zh_CN\)\)/);
});

test('chunking keeps documents between the limits and joins short tails', () => {
  const para = (n: number) => 'x'.repeat(n);
  const chunks = chunkText([para(100), para(100), para(100), para(20)].join('\n\n'), 150, 300);
  assert.ok(chunks.every((c) => c.length <= 450));
  assert.ok(
    chunks.every((c) => c.length >= 150),
    JSON.stringify(chunks.map((c) => c.length)),
  );
  assert.equal(joinMessages(['aaaa', 'bbbb', 'cc'], 8, 100), ['aaaa\nbbbb\ncc']);
  assert.equal(joinMessages(['a'.repeat(9), 'b'.repeat(9), 'c'], 8, 16), ['a'.repeat(9), 'b'.repeat(9)]);
  assert.equal(joinMessages(['a'], 8, 100), []);
});

test('html help pages become plain text', () => {
  const t = htmlToText(
    '<html><head><title>x</title></head><body><script>var a;</script><h1>Title</h1><p>One &amp; two&nbsp;three &#x3042;&#12354;</p><!-- c --><ul><li>item</li></ul></body></html>',
  );
  assert.is(t, 'Title\nOne & two three ああ\nitem');
});

test.run();
