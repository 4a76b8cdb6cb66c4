import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, runRng, writeJsonAtomic, type Value } from '@saetrace/engine';
import { loadTokenizer } from '../tokenizer/index.ts';
import { documentPerplexity, rowNll } from '../zoo/eval.ts';
import { BATCH, llamaForward } from './forward.ts';
import { parseLlamaConfig, toHfConfig } from './config.ts';
import { LlamaModel, loadTapModel } from './model.ts';
import { llamaParamShapes } from './params.ts';
import { initLlamaWeights, saveLlamaCheckpoint, type LlamaWeights } from './weights.ts';

// A tiny hand-written BPE tokenizer.json: 4 specials, 12 characters and 8 merged words (24 ids).
const SPECIALS = ['<pad>', '<s>', '</s>', '<unk>'];
const CHARS = [' ', 'a', 'b', 'c', 'd', 'e', 'h', 'l', 'o', 'w', 'r', '.'];
const WORDS = ['he', 'll', 'hell', 'hello', 'wo', 'wor', 'worl', 'world'];
const VOCAB = [...SPECIALS, ...CHARS, ...WORDS];
const id = (t: string) => VOCAB.indexOf(t);

function writeTinyTokenizer(dir: string): void {
  const bos = { SpecialToken: { id: '<s>', type_id: 0 } };
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, i) => ({
      id: i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [bos, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [bos, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])),
      merges: [
        ['h', 'e'],
        ['l', 'l'],
        ['he', 'll'],
        ['hell', 'o'],
        ['w', 'o'],
        ['wo', 'r'],
        ['wor', 'l'],
        ['worl', 'd'],
      ],
    },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      bos_token: '<s>',
      eos_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
      add_bos_token: true,
    }),
  );
}

const D = VOCAB.length; // one-hot embeddings
const config = parseLlamaConfig({
  model_type: 'llama',
  hidden_size: D,
  intermediate_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: D,
  rms_norm_eps: 1e-5,
  max_position_embeddings: 32,
  tie_word_embeddings: false,
});
/** The successor each token predicts; tokens absent here predict nothing (all-zero logits). */
const NEXT: ReadonlyMap<number, number> = new Map([
  [id('hello'), id(' ')],
  [id(' '), id('world')],
  [id('world'), id('.')],
  [id('.'), 2],
]);

/**
 * Weights whose behaviour is known in closed form: one-hot embeddings, blocks that add nothing (zero
 * output projections), and an lm_head mapping each token to its successor in NEXT. The logit of the
 * successor is then 1/sqrt(1/D + eps) and every other logit is 0.
 */
function successorWeights(): LlamaWeights {
  const w: LlamaWeights = {};
  for (const [name, shape] of llamaParamShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (name === 'model.embed_tokens.weight') for (let t = 0; t < D; t++) data[t * D + t] = 1;
    else if (name === 'lm_head.weight') for (const [from, to] of NEXT) data[to * D + from] = 1;
    else if (!/o_proj|down_proj/.test(name))
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i + name.length) * 0.5;
    w[name] = { dtype: 'float32', shape, data };
  }
  return w;
}

async function checkpoint(): Promise<string> {
  const tokDir = mkdtempSync(join(tmpdir(), 'tok-'));
  writeTinyTokenizer(tokDir);
  const dir = mkdtempSync(join(tmpdir(), 'llama-tok-'));
  await saveLlamaCheckpoint(dir, config, successorWeights(), { tokenizerDir: tokDir });
  return dir;
}

test('a checkpoint with a hand-made tokenizer: encode without BOS, greedy generation with EOS, length and stop string', async () => {
  const dir = await checkpoint();
  const m = await loadTapModel(dir);
  assert.is(m.bosId, 1);
  assert.is(m.dModel, D);
  assert.is(m.numLayers, 2);
  assert.equal(await m.encode('hello world.'), [id('hello'), id(' '), id('world'), id('.')]);
  // hello -> ' ' -> world -> '.' -> EOS (not emitted).
  assert.equal(await m.generate([1, id('hello')], 10), [id(' '), id('world'), id('.')]);
  assert.equal(await m.generate([1, id('hello')], 2), [id(' '), id('world')]);
  assert.equal(await m.generate([1, id('hello')], 10, { stop: 'wor' }), [id(' '), id('world')]);
  await m.generate([], 3).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /empty prompt/),
  );
  const again = await LlamaModel.load(dir);
  assert.is(again.fingerprint(), m.fingerprint());
  await m.release();
  await again.release();
});

test('document perplexity: token-weighted per language and overall, BOS never a target, padding never scored', async () => {
  const m = await LlamaModel.load(await checkpoint());
  const tok = await loadTokenizer(await checkpoint());
  const L = 1 / Math.sqrt(1 / D + 1e-5); // the successor's logit
  const right = Math.log(Math.exp(L) + D - 1) - L;
  const wrong = Math.log(Math.exp(L) + D - 1);
  const none = Math.log(D); // after BOS, which predicts nothing
  const ppl = await documentPerplexity(m, tok, { en: ['hello world.', 'world'], xx: ['world hello'] }, 8, 2);
  // en: [BOS hello ' ' world .] scores hello|BOS, ' '|hello, world|' ', .|world; [BOS world] scores world|BOS.
  const en = [none, right, right, right, none];
  // xx: [BOS world ' ' hello]: world|BOS, ' '|world (successor is '.'), hello|' ' (successor is world).
  const xx = [none, wrong, wrong];
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  assert.equal(ppl.tokens, { en: 5, xx: 3 });
  assert.ok(
    Math.abs(ppl.perLang.en! - Math.exp(mean(en))) < 1e-4 * ppl.perLang.en!,
    `en ${ppl.perLang.en} vs ${Math.exp(mean(en))}`,
  );
  assert.ok(Math.abs(ppl.perLang.xx! - Math.exp(mean(xx))) < 1e-4 * ppl.perLang.xx!);
  assert.ok(Math.abs(ppl.overall - Math.exp(mean([...en, ...xx]))) < 1e-4 * ppl.overall);
  // A window shorter than a document truncates it: [BOS hello ' '] scores two tokens.
  const short = await documentPerplexity(m, tok, { en: ['hello world.'] }, 3);
  assert.equal(short.tokens, { en: 2 });
  assert.ok(Math.abs(short.overall - Math.exp((none + right) / 2)) < 1e-4 * short.overall);
  await m.release();
});

test('bf16 weights in a sharded checkpoint load to the same model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llama-bf16-'));
  const w = successorWeights();
  // Hand-written bf16 shards (the upper half of each float32), two tensors per shard, plus the index.
  const names = Object.keys(w).sort();
  const weightMap: Record<string, string> = {};
  for (let s = 0; s * 2 < names.length; s++) {
    const file = `model-${s}.safetensors`;
    const header: Record<string, unknown> = {};
    const parts: Buffer[] = [];
    let off = 0;
    for (const name of names.slice(s * 2, s * 2 + 2)) {
      const f32 = w[name]!.data as Float32Array;
      const u32 = new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
      const bf = Uint16Array.from(u32, (x) => x >>> 16);
      header[name] = { dtype: 'BF16', shape: w[name]!.shape, data_offsets: [off, off + bf.byteLength] };
      parts.push(Buffer.from(bf.buffer));
      off += bf.byteLength;
      weightMap[name] = file;
    }
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    writeFileSync(join(dir, file), Buffer.concat([len, h, ...parts]));
  }
  await writeJsonAtomic(join(dir, 'model.safetensors.index.json'), { metadata: {}, weight_map: weightMap });
  await writeJsonAtomic(join(dir, 'config.json'), toHfConfig(config));
  const m = await LlamaModel.load(dir);
  const tokens = Int32Array.from([1, id('hello'), id(' '), id('world')]);
  const logits = await m.logitsWithDelta(tokens, 1, 4, 0, null);
  const L = 1 / Math.sqrt(1 / D + 1e-5);
  // Position 1 (hello) puts L on ' ' and 0 elsewhere; bf16 rounds the sine weights but not the one-hots.
  assert.ok(Math.abs(logits[D + id(' ')]! - L) < 1e-4);
  assert.is(logits[D + id('world')], 0);
  assert.is(m.fingerprint().length, 64);
  assert.throws(() => m.encode('x'), /has no tokenizer\.json/);
  await m.release();
});

test('a tokenizer larger than config.json vocab_size is an error naming both', async () => {
  const dir = await checkpoint();
  await writeJsonAtomic(join(dir, 'config.json'), { ...toHfConfig(config), vocab_size: 20 });
  // Shapes disagree with config.json first: the embedding is [24, 24] but vocab_size says 20.
  await LlamaModel.load(dir).then(
    () => assert.unreachable(),
    (e: Error) =>
      assert.match(e.message, /'model\.embed_tokens\.weight' has shape \[24,24\] but config\.json implies \[20,24\]/),
  );
  const small = parseLlamaConfig({ ...toHfConfig(config), vocab_size: 20 });
  const w: LlamaWeights = {};
  for (const [name, shape] of llamaParamShapes(small))
    w[name] = { dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
  const tokDir = mkdtempSync(join(tmpdir(), 'tok-'));
  writeTinyTokenizer(tokDir);
  await saveLlamaCheckpoint(dir, small, w, { tokenizerDir: tokDir });
  await LlamaModel.load(dir).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /tokenizer\.json has 24 tokens but config\.json vocab_size is 20/),
  );
});

test('a split at site l: the tapped residual continues to the same logits, and a changed residual equals an injection', async () => {
  const c = parseLlamaConfig({
    model_type: 'llama',
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 30,
    max_position_embeddings: 16,
  });
  const m = new LlamaModel(c, initLlamaWeights(c, runRng('split'), 0.3), null, 'split', { threads: 1 });
  const B = 2,
    T = 5;
  const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % c.vocabSize);
  const maxRel = (a: Float32Array, b: Float32Array) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < b.length; i++) {
      num = Math.max(num, Math.abs(a[i]! - b[i]!));
      den = Math.max(den, Math.abs(b[i]!));
    }
    return num / den;
  };
  const plain = await m.logitsWithDelta(tokens, B, T, 0, null);
  const delta = Float32Array.from({ length: B * T * c.hiddenSize }, (_, i) => Math.cos(i) * 0.5);
  for (const layer of [0, 1, 2, 3]) {
    const r = (await m.tap(tokens, B, T, [layer])).get(layer)!;
    const resumed = await m.logitsFromResidual(r, B, T, layer);
    assert.is(resumed.length, plain.length);
    assert.ok(maxRel(resumed, plain) < 1e-5, `site ${layer}: ${maxRel(resumed, plain)}`);
    const changed = await m.logitsFromResidual(
      r.map((x, i) => x + delta[i]!),
      B,
      T,
      layer,
    );
    const injected = await m.logitsWithDelta(tokens, B, T, layer, delta);
    assert.ok(maxRel(changed, injected) < 1e-5);
    assert.ok(maxRel(changed, plain) > 1e-3);
  }
  assert.is((await m.tap(tokens, B, T, [])).size, 0);
  // Weights baked in as initializers give the same logits as weights fed as inputs.
  const baked = new LlamaModel(c, initLlamaWeights(c, runRng('split'), 0.3), null, 'split', {
    threads: 1,
    weightsAs: 'initializers',
  });
  assert.ok(maxRel(await baked.logitsWithDelta(tokens, B, T, 0, null), plain) < 1e-5);
  assert.ok(maxRel((await baked.tap(tokens, B, T, [1])).get(1)!, (await m.tap(tokens, B, T, [1])).get(1)!) < 1e-5);
  await baked.release();
  await m.tap(tokens, B, T, [4]).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /LlamaModel\.tap: layer 4 is not a site in \[0, 3\]/),
  );
  await m.logitsFromResidual(new Float32Array(3), B, T, 1).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /residual has 3 values, expected 160/),
  );
  await m.logitsFromResidual(delta, B, T, 4).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /split site 4 is not a site in \[0, 3\]/),
  );
  await m.release();
});

test('saving in bf16, sharded, gives a loadable HF layout whose logits are within bf16 rounding of float32', async () => {
  const c = parseLlamaConfig({
    model_type: 'llama',
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    vocab_size: 30,
    max_position_embeddings: 16,
    tie_word_embeddings: true,
  });
  const w = initLlamaWeights(c, runRng('bf16-save'), 0.3);
  const dir = mkdtempSync(join(tmpdir(), 'llama-save-'));
  await saveLlamaCheckpoint(dir, c, w, { dtype: 'bfloat16', maxShardBytes: 2048 });
  const shards = readdirSync(dir).filter((f) => /^model-\d+-of-\d+\.safetensors$/.test(f));
  assert.ok(shards.length > 1, `${shards.length} shards`);
  assert.not.ok(existsSync(join(dir, 'model.safetensors')));
  assert.is(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
  const half = await LlamaModel.load(dir, { threads: 1 });
  const full = new LlamaModel(c, w, null, 'f32', { threads: 1 });
  const tokens = Int32Array.from({ length: 8 }, (_, i) => (i * 11 + 2) % 30);
  const a = await half.logitsWithDelta(tokens, 1, 8, 0, null);
  const b = await full.logitsWithDelta(tokens, 1, 8, 0, null);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  assert.ok(num / den < 0.05 && num > 0, `bf16 vs f32 rel ${num / den}`);
  // Re-saving as one float32 file replaces the shards and their index.
  await saveLlamaCheckpoint(dir, c, w);
  assert.equal(
    readdirSync(dir)
      .filter((f) => f.endsWith('.safetensors') || f.endsWith('.json'))
      .sort(),
    ['config.json', 'model.safetensors'],
  );
  const again = await LlamaModel.load(dir, { threads: 1 });
  assert.equal(Array.from(await again.logitsWithDelta(tokens, 1, 8, 0, null)), Array.from(b));
  await saveLlamaCheckpoint(dir, c, w, { dtype: 'int8' as never }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /dtype 'int8' is not one of float32, bfloat16, float16/),
  );
  for (const m of [half, full, again]) await m.release();
});

/** Greedy decoding as `generate` did it before batching: full logits [W x V] of one window per token. */
async function referenceGreedy(
  m: LlamaModel,
  prompt: readonly number[],
  maxNew: number,
  W: number,
  delta?: (tokens: Int32Array, len: number) => Promise<Float32Array>,
  layer = 0,
): Promise<number[]> {
  const seq = [...prompt];
  const out: number[] = [];
  while (out.length < maxNew) {
    const ctx = seq.slice(-W);
    const tokens = Int32Array.from({ length: W }, (_, i) => ctx[i] ?? 0);
    const logits = await m.logitsWithDelta(tokens, 1, W, layer, delta ? await delta(tokens, ctx.length) : null);
    const off = (ctx.length - 1) * m.vocabSize;
    let best = 0;
    for (let v = 1; v < m.vocabSize; v++) if (logits[off + v]! > logits[off + best]!) best = v;
    if (best === m.config.eosTokenId) break;
    out.push(best);
    seq.push(best);
  }
  return out;
}

// EOS 18 is common enough under these weights that rows stop at different steps.
const randomConfig = parseLlamaConfig({
  model_type: 'llama',
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 30,
  max_position_embeddings: 32,
  eos_token_id: 18,
});
const PROMPTS = [
  [1, 7],
  [1, 3, 9, 12, 4, 20, 8],
  [1],
  [1, 11, 2, 29, 17, 6, 6, 13, 22, 3, 9, 14],
  [1, 19, 4],
  [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29],
];

test('generateBatch gives the token ids of one-prompt greedy decoding over full logits, for prompts of different lengths', async () => {
  const m = new LlamaModel(randomConfig, initLlamaWeights(randomConfig, runRng('batch-gen'), 0.5), null, 'batch', {
    threads: 1,
  });
  const W = 16; // prompts 3 and 5 (12 and 15 tokens) + 10 new outgrow it and slide
  const batch = await m.generateBatch(PROMPTS, 10, { window: W });
  assert.is(batch.length, PROMPTS.length);
  for (const [i, p] of PROMPTS.entries()) {
    const ref = await referenceGreedy(m, p, 10, W);
    assert.equal(batch[i], ref, `prompt ${i}`);
    assert.equal(await m.generate(p, 10, { window: W }), ref, `generate ${i}`);
    // Window 32: nothing slides, and steps run at width 16 before 32; the reference runs all 32.
    assert.equal(
      (await m.generateBatch(PROMPTS, 10, { window: 32 }))[i],
      await referenceGreedy(m, p, 10, 32),
      `window 32, prompt ${i}`,
    );
  }
  // Rows end on their own: some at EOS before 10 tokens, some run to the end.
  const lens = new Set(batch.map((b) => b.length));
  assert.ok(lens.size > 1 && lens.has(10), `lengths ${[...lens]}`);
  // The default window (longest prompt + maxNew = 25: width 16, then 25) gives the ids of window 32.
  assert.equal(await m.generateBatch(PROMPTS, 10), await m.generateBatch(PROMPTS, 10, { window: 32 }));
  assert.equal(
    await m.generateBatch(PROMPTS, 0),
    PROMPTS.map(() => []),
  );
  assert.equal(await m.generateBatch([], 4), []);
  // The head at one position is the full head's row there.
  const tokens = Int32Array.from({ length: 2 * W }, (_, i) => (i * 7 + 1) % 30);
  const full = await m.logitsWithDelta(tokens, 2, W, 0, null);
  const at = await m.logitsAt(tokens, 2, W, [3, W - 1], 0, null);
  for (let v = 0; v < 30; v++) {
    assert.ok(Math.abs(at[v]! - full[3 * 30 + v]!) < 1e-5);
    assert.ok(Math.abs(at[30 + v]! - full[(2 * W - 1) * 30 + v]!) < 1e-5);
  }
  await m.release();
});

test('generateBatch with an injection callback matches one-prompt decoding with the same per-row injection', async () => {
  const m = new LlamaModel(randomConfig, initLlamaWeights(randomConfig, runRng('batch-gen'), 0.5), null, 'batch', {
    threads: 1,
  });
  const other = new LlamaModel(randomConfig, initLlamaWeights(randomConfig, runRng('other'), 0.5), null, 'other', {
    threads: 1,
  });
  const layer = 1;
  // The delta of each row depends only on that row's tokens (another model's site-1 residual), as Eq. 7's does.
  const injection = async (tokens: Int32Array, rows: number) =>
    (await other.tap(tokens, rows, tokens.length / rows, [1])).get(1)!.map((x) => 0.8 * x);
  // Window 16: a context slides; window 32: steps run at width 16, then 32.
  for (const W of [16, 32]) {
    const seen: { lengths: number[]; width: number }[] = [];
    const batch = await m.generateBatch(PROMPTS, 10, {
      window: W,
      delta: async (tokens, lengths, width) => {
        seen.push({ lengths: [...lengths], width });
        return { layer, delta: await injection(tokens, lengths.length) };
      },
    });
    assert.equal(
      seen[0]!.lengths,
      PROMPTS.map((p) => p.length),
    );
    assert.ok(seen.at(-1)!.lengths.length < PROMPTS.length, 'finished rows leave the batch');
    // Each step's width is its longest context rounded up to 16, at most the window.
    for (const x of seen) assert.is(x.width, Math.min(W, Math.ceil(Math.max(...x.lengths) / 16) * 16));
    assert.equal([...new Set(seen.map((x) => x.width))], W === 16 ? [16] : [16, 32]);
    const plain = await m.generateBatch(PROMPTS, 10, { window: W });
    assert.not.equal(batch, plain);
    for (const [i, p] of PROMPTS.entries()) {
      const ref = await referenceGreedy(m, p, 10, W, (t) => injection(t, 1), layer);
      assert.equal(batch[i], ref, `window ${W}, prompt ${i}`);
      assert.equal(
        await m.generate(p, 10, { window: W, delta: async (t) => ({ layer, delta: await injection(t, 1) }) }),
        ref,
      );
    }
    // A callback may decline to inject for a step.
    assert.equal(await m.generateBatch(PROMPTS, 10, { window: W, delta: async () => null }), plain);
  }
  await m.release();
  await other.release();
});

test('cached decoding: a tapper returns the full-window tap at each new position; a cached injector decodes the ids of the uncached loop', async () => {
  const m = new LlamaModel(randomConfig, initLlamaWeights(randomConfig, runRng('batch-gen'), 0.5), null, 'batch', {
    threads: 1,
  });
  const other = new LlamaModel(randomConfig, initLlamaWeights(randomConfig, runRng('other'), 0.5), null, 'other', {
    threads: 1,
  });
  const d = randomConfig.hiddenSize;
  const W = 16;
  const rowsOf = (ps: number[][]) => {
    const t = new Int32Array(ps.length * W);
    ps.forEach((p, i) => t.set(p, i * W));
    return t;
  };
  const close = (got: Float32Array, gi: number, want: Float32Array, wi: number, what: string) => {
    for (let i = 0; i < d; i++)
      assert.ok(
        Math.abs(got[gi * d + i]! - want[wi * d + i]!) < 1e-5,
        `${what}: ${got[gi * d + i]} vs ${want[wi * d + i]}`,
      );
  };
  const seqs = [[1, 7], [1, 3, 9, 12, 4, 20, 8], [1]];
  const tapper = other.decodeTapper(1);
  const h0 = await tapper.prefill(
    rowsOf(seqs),
    seqs.map((p) => p.length),
    W,
  );
  const ref0 = (await other.tap(rowsOf(seqs), 3, W, [1])).get(1)!;
  for (const [r, p] of seqs.entries())
    for (let t = 0; t < p.length; t++) close(h0, r * W + t, ref0, r * W + t, `prefill row ${r} position ${t}`);
  // Two steps; row 1 finishes after the first.
  for (const [tokens, rows] of [
    [
      [5, 6, 7],
      [0, 1, 2],
    ],
    [
      [8, 9],
      [0, 2],
    ],
  ] as const) {
    const h = await tapper.step(Int32Array.from(tokens), rows);
    rows.forEach((r, j) => seqs[r]!.push(tokens[j]!));
    const live = rows.map((r) => seqs[r]!);
    const ref = (await other.tap(rowsOf(live), live.length, W, [1])).get(1)!;
    live.forEach((p, j) => close(h, j, ref, j * W + p.length - 1, `step row ${rows[j]}`));
  }
  // The embedding site (no block runs, the cache is empty) and the last site (every block, no head).
  for (const site of [0, 3]) {
    const two = [
      [1, 7],
      [1, 3, 9],
    ];
    const t = other.decodeTapper(site);
    const p0 = await t.prefill(
      rowsOf(two),
      two.map((p) => p.length),
      W,
    );
    const want0 = (await other.tap(rowsOf(two), 2, W, [site])).get(site)!;
    for (const [r, p] of two.entries())
      for (let i = 0; i < p.length; i++) close(p0, r * W + i, want0, r * W + i, `site ${site} prefill row ${r}`);
    const h = await t.step(Int32Array.of(5, 6), [0, 1]);
    two.forEach((p, j) => p.push(j === 0 ? 5 : 6));
    const want = (await other.tap(rowsOf(two), 2, W, [site])).get(site)!;
    two.forEach((p, j) => close(h, j, want, j * W + p.length - 1, `site ${site} step row ${j}`));
  }
  let err: Error | null = null;
  await tapper.step(Int32Array.of(4), [1]).catch((e: Error) => {
    err = e;
  });
  assert.match(
    (err as Error | null)?.message ?? 'no error',
    /rows 1 are not an ordered subset of the previous rows 0,2/,
  );
  // Injected decoding: cached (window 32, nothing slides) and through the fallback (window 16) give the ids
  // of the uncached loop with the same injection as a per-step window callback.
  const scaled = (x: Float32Array) => x.map((v) => 0.8 * v);
  for (const Wn of [16, 32]) {
    const t0 = other.decodeTapper(1);
    const cached = await m.generateBatch(PROMPTS, 10, {
      window: Wn,
      injector: {
        layer: 1,
        prefill: async (t, l, w) => scaled(await t0.prefill(t, l, w)),
        step: async (t, rows) => scaled(await t0.step(t, rows)),
      },
    });
    const uncached = await m.generateBatch(PROMPTS, 10, {
      window: Wn,
      delta: async (tokens, lengths, width) => ({
        layer: 1,
        delta: scaled((await other.tap(tokens, lengths.length, width, [1])).get(1)!),
      }),
    });
    assert.equal(cached, uncached, `window ${Wn}`);
    assert.not.equal(cached, await m.generateBatch(PROMPTS, 10, { window: Wn }));
  }
  err = null;
  await m
    .generateBatch(PROMPTS, 2, {
      delta: async () => null,
      injector: { layer: 0, prefill: async () => new Float32Array(0), step: async () => new Float32Array(0) },
    })
    .catch((e: Error) => {
      err = e;
    });
  assert.match((err as Error | null)?.message ?? 'no error', /delta and injector are exclusive/);
  assert.throws(() => other.decodeTapper(4), /layer 4 is not a site in \[0, 3\]/);
  await m.release();
  await other.release();
});

test('generateBatch stops each row at EOS or the stop string on its own', async () => {
  const m = await LlamaModel.load(await checkpoint());
  // hello -> ' ' -> world (contains 'wor'); ' ' -> world; world -> '.' -> EOS.
  const out = await m.generateBatch(
    [
      [1, id('hello')],
      [1, id(' ')],
      [1, id('world')],
    ],
    10,
    { stop: 'wor' },
  );
  assert.equal(out, [[id(' '), id('world')], [id('world')], [id('.')]]);
  // Stop ' ': the leading ' ' is ignored, ' world' trims to 'world', so the row runs on to EOS.
  assert.equal(
    await m.generateBatch(
      [
        [1, id('hello')],
        [1, id('world')],
      ],
      10,
      { stop: ' ' },
    ),
    [[id(' '), id('world'), id('.')], [id('.')]],
  );
  await m.release();
});

test('generateBatch and logitsAt reject bad input with a RangeError naming the argument', async () => {
  const m = new LlamaModel(randomConfig, initLlamaWeights(randomConfig, runRng('batch-gen'), 0.5), null, 'batch', {
    threads: 1,
  });
  const rejects = async (p: Promise<unknown>, re: RegExp) =>
    p.then(
      () => assert.unreachable(),
      (e: Error) => {
        assert.instance(e, RangeError);
        assert.match(e.message, re);
      },
    );
  await rejects(m.generateBatch([[1, 2], []], 3), /prompts\[1\] is empty/);
  await rejects(
    m.generateBatch(
      [
        [1, 2],
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
      ],
      3,
      { window: 8 },
    ),
    /prompts\[1\] has 9 tokens, more than the window 8/,
  );
  await rejects(
    m.generateBatch([[1, 2]], 3, { window: 8, delta: async () => ({ layer: 1, delta: new Float32Array(3) }) }),
    /delta returned 3 values, expected rows\*width\*d = 1\*8\*16 = 128/,
  );
  await rejects(m.generateBatch([[1, 2]], -1), /maxNew must be a non-negative integer, got -1/);
  await rejects(m.generateBatch([[1, 2]], 3, { window: 0 }), /window must be a positive integer, got 0/);
  await rejects(m.generate([], 3), /generate: empty prompt/);
  const tokens = Int32Array.from({ length: 8 }, (_, i) => i);
  await rejects(m.logitsAt(tokens, 2, 4, [1], 0, null), /positions has 1 entries for batch 2/);
  await rejects(m.logitsAt(tokens, 2, 4, [1, 4], 0, null), /positions\[1\] = 4 is not in \[0, 4\)/);
  await rejects(
    m.logitsAt(tokens, 2, 4, [1, 2], 0, new Float32Array(5)),
    /delta has 5 values, expected batch\*seqLen\*d = 128/,
  );
  await rejects(m.logitsAt(tokens, 2, 4, [1, 2], 4, new Float32Array(128)), /layer 4 is not a site in \[0, 3\]/);
  await m.release();
});

/** Next-token NLL of every position but the last, the JS way: full logits, then rowNll per position. */
async function referenceNll(
  m: LlamaModel,
  tokens: Int32Array,
  B: number,
  T: number,
  layer: number,
  delta: Float32Array | null,
): Promise<Float64Array> {
  const logits = await m.logitsWithDelta(tokens, B, T, layer, delta);
  const V = m.vocabSize;
  const out = new Float64Array(B * (T - 1));
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T - 1; t++) out[b * (T - 1) + t] = rowNll(logits, (b * T + t) * V, V, tokens[b * T + t + 1]!);
  return out;
}

const maxRelNll = (got: Float32Array, want: Float64Array) => {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.abs(want[i]!));
  return got.length === want.length ? worst : Infinity;
};

test('nllWithDelta equals rowNll over the full logits, with and without an injection, untied and tied heads', async () => {
  for (const tie of [false, true]) {
    const c = parseLlamaConfig({ ...toHfConfig(randomConfig), tie_word_embeddings: tie });
    const m = new LlamaModel(c, initLlamaWeights(c, runRng(`nll-${tie}`), 0.5), null, 'nll', { threads: 1 });
    const B = 3,
      T = 9;
    const tokens = Int32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 1 : (i * 13 + 5) % c.vocabSize));
    const plain = await m.nllWithDelta(tokens, B, T, 0, null);
    assert.is(plain.length, B * (T - 1));
    const ref = await referenceNll(m, tokens, B, T, 0, null);
    assert.ok(maxRelNll(plain, ref) < 1e-5, `tie ${tie}, plain: ${maxRelNll(plain, ref)}`);
    assert.ok(plain.every((x) => x > 0 && Number.isFinite(x)));
    const delta = Float32Array.from({ length: B * T * c.hiddenSize }, (_, i) => Math.sin(i * 0.37) * 0.8);
    for (const layer of [0, 2]) {
      const injected = await m.nllWithDelta(tokens, B, T, layer, delta);
      const want = await referenceNll(m, tokens, B, T, layer, delta);
      assert.ok(maxRelNll(injected, want) < 1e-5, `tie ${tie}, layer ${layer}: ${maxRelNll(injected, want)}`);
      // The injection reaches the NLL (it is not the baseline graph under another key).
      assert.ok(maxRelNll(injected, ref) > 1e-3, `layer ${layer} changed nothing`);
    }
    // A zero delta is the baseline; one row alone gives that row's entries of the batch.
    assert.ok(maxRelNll(await m.nllWithDelta(tokens, B, T, 1, new Float32Array(delta.length)), ref) < 1e-6);
    const row1 = await m.nllWithDelta(tokens.slice(T, 2 * T), 1, T, 0, null);
    assert.ok(maxRelNll(row1, ref.slice(T - 1, 2 * (T - 1))) < 1e-5);
    await m.release();
  }
});

test('nllWithDelta rejects bad input with a RangeError naming the argument', async () => {
  const m = new LlamaModel(randomConfig, initLlamaWeights(randomConfig, runRng('nll-bad'), 0.5), null, 'nll-bad', {
    threads: 1,
  });
  const rejects = async (p: Promise<unknown>, re: RegExp) =>
    p.then(
      () => assert.unreachable(),
      (e: Error) => {
        assert.instance(e, RangeError);
        assert.match(e.message, re);
      },
    );
  const tokens = Int32Array.from({ length: 8 }, (_, i) => i + 1);
  const d = randomConfig.hiddenSize;
  await rejects(m.nllWithDelta(tokens, 2, 5, 0, null), /tokens has 8 ids, expected batch\*seqLen = 2\*5 = 10/);
  await rejects(m.nllWithDelta(tokens.subarray(1), 2, 4, 0, null), /tokens has 7 ids/);
  await rejects(
    m.nllWithDelta(tokens, 2, 4, 0, new Float32Array(5)),
    /delta has 5 values, expected batch\*seqLen\*d = 128/,
  );
  await rejects(m.nllWithDelta(tokens, 2, 4, 4, new Float32Array(8 * d)), /layer 4 is not a site in \[0, 3\]/);
  await rejects(m.nllWithDelta(tokens, 2, 4, -1, null), /layer -1 is not a site in \[0, 3\]/);
  await rejects(m.nllWithDelta(tokens, 2, 4, 0.5, null), /layer 0\.5 is not a site/);
  await rejects(m.nllWithDelta(tokens, 8, 1, 0, null), /seqLen must be an integer >= 2/);
  await rejects(m.nllWithDelta(tokens, 0, 4, 0, null), /batch must be a positive integer, got 0/);
  await rejects(m.nllWithDelta(Int32Array.from([1, 2, 30, 4]), 1, 4, 0, null), /token id 30 outside the vocabulary/);
  // The forward option on its own: exclusive with headAt, needs tokens and the whole model.
  const g = new Graph('nll-opts');
  const p: Record<string, Value> = {};
  for (const [name, shape] of llamaParamShapes(randomConfig)) p[name] = g.input(name, 'float32', shape);
  const tok = g.input('tokens', 'int64', [BATCH, 4]);
  assert.throws(
    () =>
      llamaForward(g, randomConfig, p, tok, { seqLen: 4, nextTokenNll: true, headAt: g.input('at', 'int64', [BATCH]) }),
    /nextTokenNll and headAt are exclusive/,
  );
  assert.throws(
    () =>
      llamaForward(g, randomConfig, p, null, {
        seqLen: 4,
        nextTokenNll: true,
        resume: { site: 1, residual: g.input('r', 'float32', [BATCH, 4, randomConfig.hiddenSize]) },
      }),
    /nextTokenNll needs the tokens/,
  );
  assert.throws(
    () => llamaForward(g, randomConfig, p, tok, { seqLen: 4, nextTokenNll: true, stopAtSite: 2 }),
    /needs the whole forward/,
  );
  await m.release();
});

test.run();
