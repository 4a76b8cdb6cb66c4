import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRng } from '@saetrace/engine';
import { initLlamaWeights, LlamaModel, rowNll } from '@saetrace/lm';
import { injectionDelta } from './delta.ts';
import type { Injection } from './perplexity.ts';
import { referencePerplexity, scoredSequence, type ScoredSequence } from './reference.ts';
import { TINY_LLAMA, ToySae } from './testing.ts';

const config = TINY_LLAMA;

/** The slow way: one sequence at a time, unpadded, full logits, the delta of that sequence alone. */
async function oneByOne(mid: LlamaModel, seqs: readonly ScoredSequence[], inj: Injection | null) {
  let sum = 0;
  let n = 0;
  const V = config.vocabSize;
  for (const s of seqs) {
    const T = s.tokens.length;
    const toks = Int32Array.from(s.tokens);
    let delta: Float32Array | null = null;
    if (inj) {
      const h = (await inj.full.tap(toks, 1, T, [inj.layer])).get(inj.layer) as Float32Array;
      delta = await injectionDelta(h, T, inj.sae, inj.mask, inj.alpha, inj.variant);
    }
    const logits = await mid.logitsWithDelta(toks, 1, T, inj?.layer ?? 0, delta);
    for (let t = s.from; t < T; t++) {
      sum += rowNll(logits, (t - 1) * V, V, s.tokens[t] as number);
      n++;
    }
  }
  return { perplexity: Math.exp(sum / n), tokens: n };
}

test('reference perplexity: batched and right-padded equals one sequence at a time, with and without an injection', async () => {
  const mid = new LlamaModel(config, initLlamaWeights(config, runRng('ref-mid'), 0.5), null, 'mid', { threads: 1 });
  const full = new LlamaModel(config, initLlamaWeights(config, runRng('ref-full'), 0.5), null, 'full', {
    threads: 1,
  });
  const sae = new ToySae(config.hiddenSize, 24, 4, 'ref-sae');
  const rng = runRng('ref-seqs').stream('ids');
  const seqs: ScoredSequence[] = [3, 9, 12, 5, 16, 7, 2].map((len, i) => {
    const tokens = [1, ...Array.from({ length: len - 1 }, () => 2 + rng.int(38))];
    return { tokens, from: Math.max(1, len - 1 - (i % 4)) };
  });
  const mask = new Set([0, 2, 5, 7, 11, 19]);
  const cases: [string, Injection | null][] = [
    ['none', null],
    ['layer 1', { full, sae, layer: 1, mask, alpha: 0.5 }],
    ['layer 3, bias', { full, sae, layer: 3, mask, alpha: 1, variant: { includeBias: true, rescale: false } }],
  ];
  let base = NaN;
  for (const [what, inj] of cases) {
    const want = await oneByOne(mid, seqs, inj);
    for (const batch of [1, 3, 8]) {
      const got = await referencePerplexity(mid, seqs, inj, 0, batch);
      assert.equal(got.tokens, want.tokens, `${what}, batch ${batch}: scored tokens`);
      const rel = Math.abs(got.perplexity / want.perplexity - 1);
      assert.ok(rel < 1e-5, `${what}, batch ${batch}: ${got.perplexity} vs ${want.perplexity}`);
      // The pad token does not matter: no scored position reads a pad.
      const otherPad = await referencePerplexity(mid, seqs, inj, 7, batch);
      assert.ok(Math.abs(otherPad.perplexity / got.perplexity - 1) < 1e-6, `${what}: pad changed the score`);
    }
    if (!inj) base = want.perplexity;
    else assert.ok(Math.abs(want.perplexity / base - 1) > 1e-4, `${what} changed nothing`);
  }
  // alpha 0 is no injection, exactly.
  const zero = await referencePerplexity(mid, seqs, { full, sae, layer: 1, mask, alpha: 0 }, 0);
  assert.is(zero.perplexity, (await referencePerplexity(mid, seqs, null, 0)).perplexity);
  for (const m of [mid, full]) await m.release();
});

test('reference perplexity refuses a sequence scored from its first token, past its end, a bad batch or layer', async () => {
  const mid = new LlamaModel(config, initLlamaWeights(config, runRng('ref-bad'), 0.5), null, 'mid', { threads: 1 });
  const sae = new ToySae(config.hiddenSize, 8, 2, 'ref-bad-sae');
  const rejects = (p: () => Promise<unknown>, re: RegExp) =>
    p().then(
      () => assert.unreachable(`no error, expected ${re}`),
      (e: Error) => assert.match(e.message, re),
    );
  await rejects(() => referencePerplexity(mid, [{ tokens: [1, 2, 3], from: 0 }], null, 0), /sequence 0 .*from index 0/);
  await rejects(() => referencePerplexity(mid, [{ tokens: [1, 2], from: 3 }], null, 0), /from index 3 of 2/);
  await rejects(() => referencePerplexity(mid, [{ tokens: [1, 2], from: 1 }], null, 0, 0), /batch/);
  await rejects(
    () =>
      referencePerplexity(
        mid,
        [{ tokens: [1, 2], from: 1 }],
        { full: mid, sae, layer: 9, mask: new Set([1]), alpha: 1 },
        0,
      ),
    /layer 9 is not a site/,
  );
  const none = await referencePerplexity(mid, [], null, 0);
  assert.ok(Number.isNaN(none.perplexity));
  assert.is(none.tokens, 0);
  await mid.release();
});

test('scoredSequence: BOS, prompt, reference; cut to the window from the left, the reference kept and scored', () => {
  assert.equal(scoredSequence(1, [5, 6, 7], [8, 9], 16), { tokens: [1, 5, 6, 7, 8, 9], from: 4 });
  // Cut like generation's prompt: the last `window` tokens, BOS dropped first.
  assert.equal(scoredSequence(1, [5, 6, 7, 10], [8, 9], 4), { tokens: [7, 10, 8, 9], from: 2 });
  // A reference longer than the window: all but its first kept token are scored.
  assert.equal(scoredSequence(1, [5], [8, 9, 10, 11], 3), { tokens: [9, 10, 11], from: 1 });
  assert.throws(() => scoredSequence(1, [5], [], 8), /no tokens/);
  assert.throws(() => scoredSequence(1, [5], [6], 1), /window/);
});

test.run();
