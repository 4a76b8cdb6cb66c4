import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kneserNeyDiscounts, ngramPerplexity, trainKneserNey } from './ngram.ts';

const V = 6;
const corpus = [
  [0, 1, 2, 3, 1, 2, 4, 1, 2, 3],
  [0, 3, 1, 2, 2, 5, 1, 4],
  [0, 1, 1, 2, 3, 3, 4],
];

test('every conditional distribution sums to one over the vocabulary, seen and unseen contexts alike', () => {
  for (const order of [1, 2, 3]) {
    const m = trainKneserNey(corpus, order, V);
    for (const ctx of [[], [1], [2], [5], [1, 2], [3, 1], [5, 5], [0, 1]]) {
      let s = 0;
      for (let w = 0; w < V; w++) {
        const p = m.prob(ctx, w);
        assert.ok(p > 0 && p < 1, `order ${order} p(${w}|${ctx}) = ${p}`);
        s += p;
      }
      assert.ok(Math.abs(s - 1) < 1e-12, `order ${order} context [${ctx}] sums to ${s}`);
    }
  }
});

test('the discounts follow Chen and Goodman eq. 26, and a higher order fits its training text better', () => {
  // Y = 10 / (10 + 2 * 5) = 0.5: D1 = 1 - 2 * 0.5 * 5/10, D2 = 2 - 3 * 0.5 * 3/5, D3 = 3 - 4 * 0.5 * 2/3.
  const [d1, d2, d3] = kneserNeyDiscounts([10, 5, 3, 2]);
  assert.ok(Math.abs(d1 - 0.5) < 1e-12 && Math.abs(d2 - 1.1) < 1e-12 && Math.abs(d3 - (3 - 4 / 3)) < 1e-12);
  const ppl = [1, 2, 3].map((o) => ngramPerplexity(trainKneserNey(corpus, o, V), corpus).perplexity);
  assert.ok(ppl[0]! < V, `unigram ${ppl[0]} beats uniform ${V}`);
  assert.ok(ppl[1]! < ppl[0]! && ppl[2]! < ppl[1]!, `perplexity by order ${ppl}`);
  const tri = trainKneserNey(corpus, 3, V);
  // Position 0 is never a target: one scored token per id after the first.
  assert.is(
    ngramPerplexity(tri, corpus).tokens,
    corpus.reduce((s, c) => s + c.length - 1, 0),
  );
});

test('on text from a known second-order Markov source the trigram recovers its transition probabilities', () => {
  // p(next | a, b): token (a + b) % 4 with 0.7, (a + 2b + 1) % 4 with 0.3 (the two differ for every a, b).
  let state = 12345;
  const rand = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const seq = [0, 1];
  for (let i = 0; i < 40000; i++) {
    const a = seq[seq.length - 2]!,
      b = seq[seq.length - 1]!;
    seq.push(rand() < 0.7 ? (a + b) % 4 : (a + 2 * b + 1) % 4);
  }
  const m = trainKneserNey([seq], 3, 4);
  for (let a = 0; a < 4; a++)
    for (let b = 0; b < 4; b++) {
      const first = (a + b) % 4;
      const second = (a + 2 * b + 1) % 4;
      if (first === second) continue;
      assert.ok(Math.abs(m.prob([a, b], first) - 0.7) < 0.03, `p(${first}|${a},${b}) = ${m.prob([a, b], first)}`);
      assert.ok(Math.abs(m.prob([a, b], second) - 0.3) < 0.03, `p(${second}|${a},${b}) = ${m.prob([a, b], second)}`);
    }
  // Against the source's own perplexity on held-out text (contexts with first = second are certain).
  const held = seq.slice(30000);
  let nll = 0;
  for (let t = 2; t < held.length; t++) {
    const a = held[t - 2]!,
      b = held[t - 1]!,
      w = held[t]!;
    const f = (a + b) % 4,
      g = (a + 2 * b + 1) % 4;
    nll -= Math.log(f === g ? 1 : w === f ? 0.7 : 0.3);
  }
  const truth = Math.exp(nll / (held.length - 2));
  assert.ok(
    Math.abs(ngramPerplexity(m, [held]).perplexity - truth) < 0.02,
    `${ngramPerplexity(m, [held]).perplexity} vs source ${truth}`,
  );
  assert.ok(ngramPerplexity(trainKneserNey([seq], 2, 4), [held]).perplexity > 3);
});

test('bad orders, ids and vocabularies are refused by name', () => {
  assert.throws(() => trainKneserNey(corpus, 4, V), /order must be 1, 2 or 3, got 4/);
  assert.throws(() => trainKneserNey([[0, 7]], 2, V), /token id 7 outside the vocabulary of 6/);
  assert.throws(() => trainKneserNey(corpus, 3, 2 ** 20), /too large for packed 3-gram keys/);
  assert.throws(() => trainKneserNey(corpus, 2, V).prob([1], 9), /token id 9 outside the vocabulary/);
});

test.run();
