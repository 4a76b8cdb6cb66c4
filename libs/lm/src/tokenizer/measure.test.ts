import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, saveTokenizer } from './load.ts';
import { measureTokenizer } from './measure.ts';
import { trainTokenizer } from './train.ts';
import { corpus } from './fixtures.test-util.ts';

test('measures tokens per character and word, byte fallback and round trips per language', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokmeasure-'));
  try {
    await saveTokenizer(dir, await trainTokenizer(corpus(), { vocabSize: 700, maxCharFraction: 1 }));
    const tok = await loadTokenizer(dir);
    const m = await measureTokenizer(
      tok,
      (async function* () {
        yield { lang: 'en', text: 'The dog jumps.' };
        yield { lang: 'en', text: 'the lazy fox' };
        yield { lang: 'ja', text: '今日は鬱です。' };
      })(),
    );
    assert.equal(Object.keys(m), ['en', 'ja']);
    const en = m.en!,
      ja = m.ja!;
    assert.is(en.documents, 2);
    assert.is(en.words, 6);
    assert.is(en.characters, 'Thedogjumps.thelazyfox'.length);
    assert.is(en.tokens, (await tok.encode('The dog jumps.')).length + (await tok.encode('the lazy fox')).length);
    assert.is(en.tokensPerWord, en.tokens / 6);
    assert.is(en.roundTripFailures, 0);
    assert.is(ja.characters, 7);
    assert.is(ja.tokensPerCharacter, ja.tokens / 7);
    // 鬱 is not in the training text: 3 UTF-8 bytes, the only fallback.
    assert.is(ja.japaneseScript.occurrences, 6);
    assert.is(ja.japaneseScript.distinct, 6);
    assert.is(ja.japaneseScript.byteOccurrences, 1);
    assert.is(ja.japaneseScript.byteDistinct, 1);
    assert.equal(ja.japaneseScript.topByteCharacters, [['鬱', 1]]);
    assert.is(ja.byteCharacterRate, 1 / 7);
    assert.is(ja.byteTokenRate, 3 / ja.tokens);
    const empty = await measureTokenizer(tok, [{ lang: 'en', text: '' }]);
    assert.equal(
      [empty.en!.tokensPerWord, empty.en!.tokensPerCharacter, empty.en!.byteTokenRate, empty.en!.byteCharacterRate],
      [0, 0, 0, 0],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
