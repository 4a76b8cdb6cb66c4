import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from './load.ts';

// Python `tokenizers`' ids and decodes for three tokenizer shapes (written by
// libs/lm/fixtures/tokenizers/generate.py; versions in its README and in expected.json).
const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'tokenizers');
interface Case {
  readonly text: string;
  readonly ids: number[];
  readonly idsWithSpecial: number[];
  readonly decode: string;
  readonly decodeKeepSpecial: string;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  readonly cases: Readonly<Record<string, readonly Case[]>>;
};

for (const [name, cases] of Object.entries(expected.cases)) {
  test(`${name}: ids and decodes equal Python tokenizers' on ${cases.length} strings`, async () => {
    assert.ok(cases.length >= 30);
    const tok = await loadTokenizer(join(DIR, name));
    const batch = await tok.encodeBatch(cases.map((c) => c.text));
    for (const [i, c] of cases.entries()) {
      assert.equal(await tok.encode(c.text), c.ids, `ids ${JSON.stringify(c.text)}`);
      assert.equal(batch[i], c.ids, `batch ids ${JSON.stringify(c.text)}`);
      assert.equal(await tok.encode(c.text, { addBos: true }), c.idsWithSpecial, `ids+bos ${JSON.stringify(c.text)}`);
      assert.is(tok.decode(c.ids), c.decode, `decode ${JSON.stringify(c.text)}`);
      assert.is(
        tok.decode(c.idsWithSpecial, { keepSpecial: true }),
        c.decodeKeepSpecial,
        `decode+special ${JSON.stringify(c.text)}`,
      );
    }
  });
}

test('the LLM-jp-shaped Unigram spells a newline (not in its vocabulary) as a byte, never <unk>', async () => {
  const tok = await loadTokenizer(join(DIR, 'llmjp-unigram'));
  assert.is(tok.idOf('\n'), undefined);
  const ids = await tok.encode('a\nb');
  assert.ok(!ids.includes(tok.unkId));
  assert.ok(ids.some((i) => tok.token(i) === '<0x0A>'));
});

test.run();
