import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learnBpe } from './bpe.ts';

const base = ['<pad>', 'a', 'b', 'c', 'd'];

test('most frequent pair merges first; ties go to the smaller ids', () => {
  const words = new Map([
    ['ab', 3],
    ['cd', 3],
    ['abc', 1],
  ]);
  const r = learnBpe({ baseVocab: base, words, vocabSize: 7, minPairFrequency: 1 });
  // ab occurs 4 times, cd 3, bc 1 -> ab first; then cd (3) beats ab+c (1).
  assert.equal(r.merges, [
    ['a', 'b'],
    ['c', 'd'],
  ]);
  assert.equal(r.vocab.slice(5), ['ab', 'cd']);
});

test('ties are broken by left id then right id, whatever the word order', () => {
  const w1 = new Map([
    ['cd', 2],
    ['ab', 2],
  ]);
  const w2 = new Map([
    ['ab', 2],
    ['cd', 2],
  ]);
  const r1 = learnBpe({ baseVocab: base, words: w1, vocabSize: 6, minPairFrequency: 1 });
  const r2 = learnBpe({ baseVocab: base, words: w2, vocabSize: 6, minPairFrequency: 1 });
  assert.equal(r1.merges, [['a', 'b']]);
  assert.equal(r2, r1);
});

test('overlapping runs (aaaa) are counted and merged left to right', () => {
  const r = learnBpe({
    baseVocab: ['a'],
    words: new Map([
      ['aaaa', 1],
      ['aaa', 1],
    ]),
    vocabSize: 3,
    minPairFrequency: 1,
  });
  // aaaa -> aa aa, aaa -> aa a: one each, so the tie goes to (aa, a), whose right id is smaller.
  assert.equal(r.merges, [
    ['a', 'a'],
    ['aa', 'a'],
  ]);
  assert.equal(r.vocab, ['a', 'aa', 'aaa']);
});

test('incremental counts match a recount: a merge that lowers a pair keeps the order right', () => {
  // After 'ab' merges, 'bc' (5 in abc, 2 in bc) drops to 2, so 'ab'+'c' (5) must win over 'bc'.
  const words = new Map([
    ['abc', 5],
    ['ab', 2],
    ['bc', 2],
  ]);
  const r = learnBpe({ baseVocab: base, words, vocabSize: 7, minPairFrequency: 1 });
  assert.equal(r.merges, [
    ['a', 'b'],
    ['ab', 'c'],
  ]);
});

test('characters outside the base vocabulary block merges across them', () => {
  const r = learnBpe({
    baseVocab: base,
    words: new Map([
      ['aXb', 10],
      ['cd', 1],
    ]),
    vocabSize: 10,
    minPairFrequency: 1,
  });
  assert.equal(r.merges, [['c', 'd']]);
});

test('stops below vocabSize when no pair reaches minPairFrequency', () => {
  const r = learnBpe({
    baseVocab: base,
    words: new Map([
      ['ab', 1],
      ['cd', 5],
    ]),
    vocabSize: 100,
    minPairFrequency: 2,
  });
  assert.equal(r.merges, [['c', 'd']]);
  assert.is(r.vocab.length, 6);
});

test('a merge whose string already exists reuses that token', () => {
  // 'ab' then 'bc'... 'a'+'bc' and 'ab'+'c' both spell 'abc': the vocabulary holds it once.
  const words = new Map([
    ['abc', 4],
    ['bc', 6],
    ['xab', 0],
  ]);
  const r = learnBpe({ baseVocab: ['a', 'b', 'c', 'abc'], words, vocabSize: 6, minPairFrequency: 1 });
  assert.equal(r.merges, [
    ['b', 'c'],
    ['a', 'bc'],
  ]);
  assert.equal(r.vocab, ['a', 'b', 'c', 'abc', 'bc']);
});

/** Reference: recount every pair from scratch at each step. */
function naive(baseVocab: string[], words: Map<string, number>, vocabSize: number): [string, string][] {
  const vocab = [...baseVocab];
  const id = new Map(vocab.map((t, i) => [t, i] as const));
  let segs = [...words].map(([w, f]) => ({ s: Array.from(w, (c) => id.get(c) ?? -1), f }));
  const merges: [string, string][] = [];
  while (vocab.length < vocabSize) {
    const counts = new Map<string, number>();
    for (const { s, f } of segs)
      for (let i = 0; i + 1 < s.length; i++)
        if (s[i]! >= 0 && s[i + 1]! >= 0) {
          const k = `${s[i]},${s[i + 1]}`;
          counts.set(k, (counts.get(k) ?? 0) + f);
        }
    let best: [number, number, number] | null = null;
    for (const [k, c] of counts) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (c < 1) continue;
      if (best === null || c > best[0] || (c === best[0] && (a < best[1] || (a === best[1] && b < best[2]))))
        best = [c, a, b];
    }
    if (best === null) break;
    const [, a, b] = best;
    const m = vocab[a]! + vocab[b]!;
    let nid = id.get(m);
    if (nid === undefined) {
      nid = vocab.length;
      vocab.push(m);
      id.set(m, nid);
    }
    merges.push([vocab[a]!, vocab[b]!]);
    segs = segs.map(({ s, f }) => {
      const o: number[] = [];
      for (let i = 0; i < s.length; i++)
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          o.push(nid!);
          i++;
        } else o.push(s[i]!);
      return { s: o, f };
    });
  }
  return merges;
}

test('incremental merges equal a full recount on random words', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  for (let trial = 0; trial < 8; trial++) {
    const words = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      let w = '';
      const len = 1 + rand(7);
      for (let j = 0; j < len; j++) w += 'abcdX'[rand(5)];
      words.set(w, (words.get(w) ?? 0) + 1 + rand(4));
    }
    const r = learnBpe({ baseVocab: base, words, vocabSize: 40, minPairFrequency: 1 });
    assert.ok(r.merges.length > 10);
    assert.equal(r.merges, naive(base, words, 40), `trial ${trial}`);
  }
});

test.run();
