import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOS_ID, BYTE_TOKENS, EOS_ID, FIRST_CHAR_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID } from './format.ts';
import { loadTokenizer, saveTokenizer } from './load.ts';
import { ALWAYS_CHARACTERS, selectCharacters, trainTokenizer, trainTokenizerDetailed } from './train.ts';
import { EN, JA, corpus } from './fixtures.test-util.ts';

test('vocabulary layout: specials at the contract ids, then bytes, then characters, then merges', async () => {
  const tj = await trainTokenizer(corpus(), { vocabSize: 700, maxCharFraction: 1 });
  const v = tj.model.vocab;
  assert.is(v['<pad>'], PAD_ID);
  assert.is(v['<s>'], BOS_ID);
  assert.is(v['</s>'], EOS_ID);
  assert.is(v['<unk>'], UNK_ID);
  assert.is(v['<0x00>'], SPECIAL_TOKENS.length);
  assert.is(v['<0xFF>'], FIRST_CHAR_ID - 1);
  assert.is(Object.keys(v).length, 700);
  assert.equal(
    tj.added_tokens.map((t) => [t.id, t.content, t.special]),
    [
      [0, '<pad>', true],
      [1, '<s>', true],
      [2, '</s>', true],
      [3, '<unk>', true],
    ],
  );
  // Every kana and kanji of the fixture is a token of its own (never bytes).
  for (const ch of JA.join(''))
    if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(ch)) assert.ok(v[ch] !== undefined, ch);
  // The characters sit right after the bytes, merges after them.
  const ids = Object.values(v).sort((a, b) => a - b);
  assert.equal(
    ids,
    Array.from({ length: 700 }, (_, i) => i),
  );
  assert.ok(tj.model.merges.length > 0);
  for (const [l, r] of tj.model.merges) assert.ok(v[l + r]! >= FIRST_CHAR_ID);
});

test('training is deterministic: same texts and options give identical JSON', async () => {
  const a = await trainTokenizer(corpus(), { vocabSize: 400 });
  const b = await trainTokenizer(
    (async function* () {
      yield* corpus();
    })(),
    { vocabSize: 400 },
  );
  assert.is(JSON.stringify(a), JSON.stringify(b));
  const c = await trainTokenizer(corpus(), { vocabSize: 380 });
  assert.is.not(JSON.stringify(a), JSON.stringify(c));
});

test('stats describe what training saw', async () => {
  const { stats } = await trainTokenizerDetailed(corpus(2), { vocabSize: 300, minPairFrequency: 1 });
  assert.is(stats.documents, 16);
  assert.is(
    stats.characters,
    corpus(2).reduce((s, t) => s + Array.from(t).length, 0),
  );
  assert.ok(stats.keptCharacters <= 20, 'maxCharFraction caps the characters at half of 40');
  assert.ok(stats.characterCoverage > 0 && stats.characterCoverage < 1);
  assert.is(stats.vocabSize, 300);
});

test('trained tokenizer loads in the tokenizers binding and round-trips English and Japanese', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  try {
    await saveTokenizer(dir, await trainTokenizer(corpus(), { vocabSize: 700, maxCharFraction: 1 }));
    const tok = await loadTokenizer(dir);
    assert.is(tok.vocabSize, 700);
    assert.equal([tok.padId, tok.bosId, tok.eosId, tok.unkId], [0, 1, 2, 3]);
    const samples = [
      ...EN,
      ...JA,
      'Unseen: 𠮷野家 🙂 naïve\n\n\ttabs   and  spaces ',
      ' leading space',
      '全角　スペース１２３',
    ];
    for (const s of samples) {
      const ids = await tok.encode(s);
      assert.ok(!ids.includes(tok.unkId), s);
      assert.is(tok.decode(ids), s);
      const withBos = await tok.encode(s, { addBos: true });
      assert.equal(withBos, [tok.bosId, ...ids]);
      assert.is(tok.decode(withBos), s);
      assert.is(tok.decode(withBos, { keepSpecial: true }), `<s>${s}`);
    }
    // Unseen characters fall back to bytes; seen kana/kanji never do.
    const emoji = await tok.encode('🙂');
    assert.equal(
      emoji.map((i) => tok.token(i)),
      ['<0xF0>', '<0x9F>', '<0x99>', '<0x82>'],
    );
    assert.ok(emoji.every((i) => tok.isByte(i)));
    assert.ok((await tok.encode(JA.join(''))).every((i) => !tok.isByte(i)));
    // Common words become single tokens.
    assert.is((await tok.encode(' the')).length, 1);
    assert.is((await tok.encode('してください')).length, 1);
    assert.equal(await tok.encode(''), []);
    assert.is(tok.decode([]), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('selectCharacters: by frequency then code point, up to coverage, floor and cap', () => {
  const counts = new Map([
    ['b', 5],
    ['a', 5],
    ['c', 3],
    ['d', 1],
    ['e', 1],
  ]);
  assert.equal(selectCharacters(counts, 1, 1, 10), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(selectCharacters(counts, 1, 2, 10), ['a', 'b', 'c']);
  assert.equal(selectCharacters(counts, 1, 1, 2), ['a', 'b']);
  assert.equal(selectCharacters(counts, 0.5, 1, 10), ['a', 'b'], '10/15 >= 0.5 after two');
  // Always-kept characters come in even unseen (ordered after seen ones, by code point) and count towards the cap.
  assert.equal(selectCharacters(counts, 1, 2, 10, ['z', 'y', 'd']), ['a', 'b', 'c', 'd', 'y', 'z']);
  assert.equal(selectCharacters(counts, 1, 2, 2, ['z', 'c']), ['c', 'z']);
});

test('every kana and printable ASCII character is a token even when unseen', async () => {
  const v = (await trainTokenizer(['日本語のテキスト'], { vocabSize: 1000 })).model.vocab;
  for (const ch of ALWAYS_CHARACTERS) assert.ok(v[ch] !== undefined, ch);
  for (const ch of 'ゐゑヰヱヴヵヶーゝゞヽヾ~ ') assert.ok(v[ch] !== undefined, ch);
  assert.is(v['日'], undefined, 'a kanji seen once is below the default frequency cut');
  const v1 = (await trainTokenizer(['日本語のテキスト'], { vocabSize: 1000, minCharFrequency: 1 })).model.vocab;
  assert.ok(v1['日']! >= FIRST_CHAR_ID && v1['日']! < FIRST_CHAR_ID + ALWAYS_CHARACTERS.length + 3);
});

test('bad options and inputs are rejected with the option named', async () => {
  for (const [opts, name] of [
    [{ vocabSize: 100 }, 'vocabSize'],
    [{ vocabSize: 300.5 }, 'vocabSize'],
    [{ charCoverage: 0 }, 'charCoverage'],
    [{ maxCharFraction: 2 }, 'maxCharFraction'],
    [{ minCharFrequency: 0 }, 'minCharFrequency'],
    [{ minPairFrequency: -1 }, 'minPairFrequency'],
  ] as const) {
    try {
      await trainTokenizer(['abc'], opts);
      assert.unreachable(name);
    } catch (err) {
      assert.instance(err, RangeError);
      assert.match((err as Error).message, name);
    }
  }
  try {
    await trainTokenizer([42 as unknown as string]);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, TypeError);
    assert.match((err as Error).message, 'text 0');
  }
  assert.is(BYTE_TOKENS.length, 256);
});

test.run();
