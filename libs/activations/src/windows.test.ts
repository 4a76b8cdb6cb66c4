import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CorpusDoc } from './corpus.ts';
import { WINDOW_TOKENS, selectWindows, windowOf } from './windows.ts';

const enc = async (ts: readonly string[]): Promise<number[][]> => ts.map((t) => Array.from(t, (c) => c.charCodeAt(0)));
const docs = (lang: string, lens: number[]): CorpusDoc[] =>
  lens.map((n, i) => ({ id: `${lang}${i}`, lang, text: 'x'.repeat(n) }));

test('windowOf: BOS then exactly 64 tokens; shorter documents dropped', () => {
  const toks = Array.from({ length: 100 }, (_, i) => i + 10);
  const w = windowOf(toks, 1)!;
  assert.is(w.length, WINDOW_TOKENS + 1);
  assert.is(w[0], 1);
  assert.equal(Array.from(w.subarray(1)), toks.slice(0, 64));
  assert.ok(windowOf(toks.slice(0, 64), 1) !== null);
  assert.is(windowOf(toks.slice(0, 63), 1), null);
});

test('selectWindows balances languages 50/50 and drops short documents', async () => {
  const en = docs('en', [70, 10, 80, 64, 100, 5]); // 4 eligible
  const ja = docs('ja', [63, 65, 90]); // 2 eligible
  const sel = await selectWindows([en, ja], {
    langs: ['en', 'ja'],
    tokensPerLang: 64 * 10,
    seed: 1,
    bosId: 1,
    encodeBatch: enc,
  });
  assert.is(sel.docsPerLang, 2);
  assert.is(sel.windows.length, 4);
  assert.equal(
    sel.windows.map((w) => w.lang),
    [0, 1, 0, 1],
  );
  assert.is(sel.dropped[1], 1);
  for (const w of sel.windows) {
    assert.is(w.tokens.length, 65);
    assert.is(w.tokens[0], 1);
  }
  assert.ok(sel.windows.filter((w) => w.lang === 1).every((w) => w.docId === 'ja1' || w.docId === 'ja2'));
});

test('selectWindows honours the token budget and is deterministic per seed', async () => {
  const en = docs(
    'en',
    Array.from({ length: 40 }, (_, i) => 64 + i),
  );
  const ja = docs(
    'ja',
    Array.from({ length: 40 }, (_, i) => 64 + i),
  );
  const opts = { langs: ['en', 'ja'], tokensPerLang: 64 * 5 + 63, bosId: 1, encodeBatch: enc };
  const a = await selectWindows([en, ja], { ...opts, seed: 7 });
  const b = await selectWindows([en, ja], { ...opts, seed: 7 });
  const c = await selectWindows([en, ja], { ...opts, seed: 8 });
  assert.is(a.docsPerLang, 5);
  assert.equal(
    a.windows.map((w) => w.docId),
    b.windows.map((w) => w.docId),
  );
  assert.not.equal(
    a.windows.map((w) => w.docId),
    c.windows.map((w) => w.docId),
  );
});

test('selectWindows rejects bad arguments', async () => {
  const base = { langs: ['en', 'ja'], seed: 1, bosId: 1, encodeBatch: enc };
  const rejects = async (p: Promise<unknown>, re: RegExp) => {
    try {
      await p;
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, re);
    }
  };
  await rejects(selectWindows([[], []], { ...base, tokensPerLang: 63 }), /tokensPerLang/);
  await rejects(selectWindows([[]], { ...base, tokensPerLang: 64 }), /1 document lists for 2 languages/);
});

test.run();
