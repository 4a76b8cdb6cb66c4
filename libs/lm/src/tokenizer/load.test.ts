import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTokenizerJson, BYTE_TOKENS, SPECIAL_TOKENS } from './format.ts';
import { Tokenizer } from 'tokenizers';
import { loadTokenizer, saveTokenizer } from './load.ts';
import { trainTokenizer } from './train.ts';
import { corpus } from './fixtures.test-util.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tokload-'));
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
    assert.unreachable(`expected ${pattern}`);
  } catch (err) {
    assert.match((err as Error).message, pattern);
  }
}

test('saveTokenizer writes tokenizer.json with one merge per line and a Hugging Face tokenizer_config.json', async () => {
  const dir = tmp();
  const tj = await trainTokenizer(corpus(4), { vocabSize: 320 });
  await saveTokenizer(dir, tj);
  const text = readFileSync(join(dir, 'tokenizer.json'), 'utf8');
  assert.equal(JSON.parse(text), JSON.parse(JSON.stringify(tj)));
  assert.match(text, /\n {6}\["[^"\n]+", "[^"\n]+"\],?\n/);
  const cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  assert.is(cfg.add_bos_token, true);
  assert.is(cfg.bos_token, '<s>');
  assert.is(cfg.eos_token, '</s>');
  assert.is(cfg.pad_token, '<pad>');
  assert.is(cfg.clean_up_tokenization_spaces, false);
});

test('loads without tokenizer_config.json using the default specials', async () => {
  const dir = tmp();
  await saveTokenizer(dir, await trainTokenizer(corpus(4), { vocabSize: 320 }));
  rmSync(join(dir, 'tokenizer_config.json'));
  const tok = await loadTokenizer(dir);
  assert.equal([tok.bosId, tok.eosId, tok.padId], [1, 2, 0]);
  assert.is(tok.decode(await tok.encode('The dog. 今日は')), 'The dog. 今日は');
});

test('clear errors: missing file, bad JSON, not an object, not a tokenizer, missing special', async () => {
  const dir = tmp();
  await rejects(loadTokenizer(dir), /tokenizer file not found: .*tokenizer\.json/);
  writeFileSync(join(dir, 'tokenizer.json'), '{ nope');
  await rejects(loadTokenizer(dir), /tokenizer\.json: is not valid JSON at line \d+, column \d+/);
  writeFileSync(join(dir, 'tokenizer.json'), '[1, 2]');
  await rejects(loadTokenizer(dir), /tokenizer\.json: has the wrong shape: not a JSON object/);
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": {}}');
  await rejects(loadTokenizer(dir), /tokenizer\.json: not a loadable tokenizer/);
  const tj = buildTokenizerJson([...SPECIAL_TOKENS, ...BYTE_TOKENS, 'a'], []);
  await saveTokenizer(dir, tj);
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<bos>' }));
  await rejects(loadTokenizer(dir), /special token "<bos>" \(bos_token\) is not in the vocabulary/);
  await rejects(loadTokenizer(join(dir, 'tokenizer.json')), /ENOTDIR|not a directory/);
});

test('decode and token reject ids outside the vocabulary', async () => {
  const dir = tmp();
  await saveTokenizer(dir, buildTokenizerJson([...SPECIAL_TOKENS, ...BYTE_TOKENS, 'a'], []));
  const tok = await loadTokenizer(dir);
  assert.is(tok.vocabSize, 261);
  assert.throws(() => tok.decode([5, 261]), /token id 261 is outside the vocabulary \(size 261\)/);
  assert.throws(() => tok.token(-1), /outside/);
  assert.throws(() => tok.token(1.5), /outside/);
  assert.is(tok.idOf('a'), 260);
  assert.is(tok.idOf('zz'), undefined);
  assert.ok(tok.isByte(4));
  assert.not.ok(tok.isByte(260));
  // 'b' is not a character token: it is spelled as its byte.
  assert.equal(await tok.encode('ab'), [260, 4 + 0x62]);
});

test('buildTokenizerJson checks the specials and duplicates', () => {
  assert.throws(() => buildTokenizerJson(['<s>', '<pad>', '</s>', '<unk>'], []), /vocab\[0\] must be <pad>/);
  assert.throws(
    () => buildTokenizerJson([...SPECIAL_TOKENS, 'x', 'x'], []),
    /duplicate vocabulary entry "x" at ids 4 and 5/,
  );
});

test("sync decode equals the binding's own async Tokenizer.decode, with and without specials", async () => {
  const dir = tmp();
  await saveTokenizer(dir, await trainTokenizer(corpus(4), { vocabSize: 320 }));
  const tok = await loadTokenizer(dir);
  const ref = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
  for (const s of ['The dog. 今日は', '𠮷野家 🙂\r\n\tx', '<s> literal', '']) {
    const ids = await tok.encode(s, { addBos: true });
    assert.is(tok.decode(ids), await ref.decode(ids, true), s);
    assert.is(tok.decode(ids, { keepSpecial: true }), await ref.decode(ids, false), s);
  }
  assert.equal(await tok.encodeBatch(['a b', '今日']), [await tok.encode('a b'), await tok.encode('今日')]);
  assert.equal(await tok.encodeBatch([]), []);
});

test('a component the binding rejects is named with the file', async () => {
  const dir = tmp();
  const tj = JSON.parse(JSON.stringify(buildTokenizerJson([...SPECIAL_TOKENS, ...BYTE_TOKENS, 'a'], []))) as Record<
    string,
    unknown
  >;
  tj.normalizer = { type: 'NoSuchNormalizer' };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tj));
  await rejects(
    loadTokenizer(dir),
    /tokenizer\.json: not a loadable tokenizer, normalizer \(NoSuchNormalizer\) rejected by the tokenizers binding/,
  );
});

test.run();
