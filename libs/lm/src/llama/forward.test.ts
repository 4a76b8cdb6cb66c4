import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, runRng, Session, type Value } from '@saetrace/engine';
import { llamaForward } from './forward.ts';
import { llamaParamShapes } from './params.ts';
import { parseLlamaConfig, readLlamaConfig, toHfConfig } from './config.ts';
import { LlamaModel } from './model.ts';
import { initLlamaWeights, readLlamaWeights, saveLlamaCheckpoint, type LlamaWeights } from './weights.ts';
// The forward's numerics are checked against transformers in hf-fixtures.test.ts (which replaced a tfjs
// oracle here); these tests cover saetrace's own checkpoints, injection and taps.

const base = {
  model_type: 'llama',
  hidden_size: 16,
  intermediate_size: 40,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  vocab_size: 23,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 64,
};

for (const [label, extra] of [
  ['grouped-query attention, tied embeddings', { num_key_value_heads: 2, tie_word_embeddings: true }],
  ['multi-head, untied embeddings', { num_key_value_heads: 4, tie_word_embeddings: false }],
] as const) {
  test(`a checkpoint saetrace writes loads back to the same logits and taps as the model in memory (${label})`, async () => {
    const c = parseLlamaConfig({ ...base, ...extra });
    const w = initLlamaWeights(c, runRng(label), 0.3);
    const dir = mkdtempSync(join(tmpdir(), 'llama-'));
    await saveLlamaCheckpoint(dir, c, w, { info: { tokens: 0 } });
    const m = await LlamaModel.load(dir, { threads: 1 });
    const mem = new LlamaModel(c, w, null, 'mem', { threads: 1 });
    const B = 2,
      T = 7;
    const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 5 + 3) % c.vocabSize);
    assert.equal(
      Array.from(await m.logitsWithDelta(tokens, B, T, 0, null)),
      Array.from(await mem.logitsWithDelta(tokens, B, T, 0, null)),
    );
    const taps = await m.tap(tokens, B, T, [0, 1, 2, 3]);
    const memTaps = await mem.tap(tokens, B, T, [0, 1, 2, 3]);
    for (let l = 0; l <= 3; l++) assert.equal(Array.from(taps.get(l)!), Array.from(memTaps.get(l)!), `tap ${l}`);
    assert.is(m.fingerprint().length, 64);
    await m.release();
    await mem.release();
  });
}

test('injection at block l changes nothing before l, and a zero delta reproduces the logits exactly', async () => {
  const c = parseLlamaConfig({ ...base, num_key_value_heads: 2 });
  const w = initLlamaWeights(c, runRng('inject'), 0.3);
  const m = new LlamaModel(c, w, null, 'x', { threads: 1 });
  const B = 1,
    T = 5;
  const tokens = Int32Array.from([1, 4, 9, 16, 2]);
  const plain = await m.logitsWithDelta(tokens, B, T, 1, null);
  const zero = await m.logitsWithDelta(tokens, B, T, 1, new Float32Array(B * T * c.hiddenSize));
  assert.equal(Array.from(zero), Array.from(plain));
  const delta = Float32Array.from({ length: B * T * c.hiddenSize }, (_, i) => Math.sin(i));
  const moved = await m.logitsWithDelta(tokens, B, T, 1, delta);
  assert.not.equal(Array.from(moved), Array.from(plain));
  // Causality: changing the last token leaves earlier positions' logits unchanged.
  const t2 = Int32Array.from(tokens);
  t2[4] = 7;
  const l2 = await m.logitsWithDelta(t2, B, T, 0, null);
  assert.equal(Array.from(l2.subarray(0, 4 * c.vocabSize)), Array.from(plain.subarray(0, 4 * c.vocabSize)));
  await m.logitsWithDelta(tokens, B, T, 1, new Float32Array(3)).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /delta has 3 values/),
  );
  await m.tap(Int32Array.from([99, 1, 1, 1, 1]), 1, 5, [0]).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /token id 99 outside the vocabulary/),
  );
  const gen = await m.generate([1, 4, 9], 4, { window: 8 });
  assert.ok(gen.length <= 4);
  assert.ok(gen.every((t) => t >= 0 && t < c.vocabSize));
  await m.release();
});

test('in one graph with an injection at site l, every tap up to l equals the plain forward and taps after l move', async () => {
  const c = parseLlamaConfig({ ...base, num_key_value_heads: 2 });
  const w = initLlamaWeights(c, runRng('taps-inject'), 0.3);
  const B = 1,
    T = 5,
    l = 1;
  const tokens = { dtype: 'int64' as const, shape: [B, T], data: BigInt64Array.from([1n, 4n, 9n, 16n, 2n]) };
  const build = (inject: boolean) => {
    const g = new Graph('taps');
    const p = Object.fromEntries([...llamaParamShapes(c)].map(([n, shape]) => [n, g.initializer(n, w[n]!)])) as Record<
      string,
      Value
    >;
    const tok = g.input('tokens', 'int64', [B, T]);
    const delta = g.constant(
      Array.from({ length: B * T * c.hiddenSize }, (_, i) => Math.cos(i)),
      [B, T, c.hiddenSize],
    );
    const r = llamaForward(g, c, p, tok, {
      seqLen: T,
      taps: [0, 1, 2, 3],
      inject: inject ? { layer: l, delta } : undefined,
    });
    for (const k of [0, 1, 2, 3]) g.output(r.taps.get(k)!, `h${k}`);
    g.output(r.logits!, 'logits');
    return g;
  };
  const plain = await (await Session.create(build(false), { threads: 1 })).run({ tokens });
  const injected = await (await Session.create(build(true), { threads: 1 })).run({ tokens });
  // The tap of site l is the residual before the addition; block l (site l+1 on) and the logits see it.
  for (const k of [0, 1])
    assert.equal(
      Array.from(injected[`h${k}`]!.data as Float32Array),
      Array.from(plain[`h${k}`]!.data as Float32Array),
      `tap ${k}`,
    );
  for (const k of [2, 3])
    assert.not.equal(
      Array.from(injected[`h${k}`]!.data as Float32Array),
      Array.from(plain[`h${k}`]!.data as Float32Array),
      `tap ${k}`,
    );
  assert.not.equal(Array.from(injected.logits!.data as Float32Array), Array.from(plain.logits!.data as Float32Array));
});

test('config and checkpoint errors name the file, key or tensor', async () => {
  assert.throws(
    () => parseLlamaConfig({ ...base, model_type: 'gpt2' }),
    /model_type "gpt2" is not supported \(supported: llama\)/,
  );
  assert.throws(() => parseLlamaConfig({ ...base, hidden_size: -1 }), /'hidden_size' must be a positive integer/);
  assert.throws(() => parseLlamaConfig({ ...base, num_key_value_heads: 3 }), /not a multiple of num_key_value_heads/);
  assert.throws(() => parseLlamaConfig({ ...base, hidden_act: 'gelu' }), /hidden_act "gelu" is not supported/);
  assert.throws(
    () => parseLlamaConfig({ ...base, rope_scaling: { type: 'dynamic', factor: 2 } }),
    /'rope_scaling' rope type "dynamic" is not supported/,
  );
  assert.throws(() => parseLlamaConfig([]), /expected a JSON object/);
  const dir = mkdtempSync(join(tmpdir(), 'llama-bad-'));
  await readLlamaConfig(dir).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /config\.json: not found/),
  );
  writeFileSync(join(dir, 'config.json'), '{oops');
  await readLlamaConfig(dir).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /config\.json: is not valid JSON at line \d+, column \d+/),
  );
  const c = parseLlamaConfig({ ...base, tie_word_embeddings: true });
  assert.equal(toHfConfig(c).model_type, 'llama');
  const w = initLlamaWeights(c, runRng('bad'));
  const wrong = { ...w, 'model.norm.weight': { dtype: 'float32' as const, shape: [5], data: new Float32Array(5) } };
  await saveLlamaCheckpoint(dir, c, wrong);
  await readLlamaWeights(dir, c).then(
    () => assert.unreachable(),
    (e: Error) =>
      assert.match(e.message, /tensor 'model\.norm\.weight' has shape \[5\] but config\.json implies \[16\]/),
  );
  const missing: LlamaWeights = { ...w };
  delete missing['model.layers.0.mlp.up_proj.weight'];
  await saveLlamaCheckpoint(dir, c, missing);
  await readLlamaWeights(dir, c).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /'model\.layers\.0\.mlp\.up_proj\.weight' is missing/),
  );
  assert.throws(
    () => new LlamaModel(c, missing, null, 'x'),
    /weight 'model\.layers\.0\.mlp\.up_proj\.weight' is missing/,
  );
});

test.run();
