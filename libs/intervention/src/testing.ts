// Small deterministic stand-ins for a language model and an SAE, for the intervention's tests.
import { runRng } from '@saetrace/engine';
import { parseLlamaConfig, rowNll } from '@saetrace/lm';
import { injectionDelta } from './delta.ts';
import { perplexityFromSums, type EvalWindows, type Injection, type PerplexityResult } from './perplexity.ts';
import type { InjectableModel, SaeCodec, TopKCodes } from './types.ts';
import { DEFAULT_VARIANT } from './types.ts';

/**
 * A toy residual model: block l's output is (l + 1) * E[token] + 0.1 * position; logits are the last
 * block's output (plus any injected delta carried forward) times E^T. Counts its calls.
 */
export class ToyModel implements InjectableModel {
  readonly bosId = 1;
  calls = 0;
  readonly emb: Float32Array;
  constructor(
    readonly vocabSize: number,
    readonly dModel: number,
    readonly numLayers: number,
    seed: string,
  ) {
    this.emb = runRng(seed)
      .stream('emb')
      .normalArray(vocabSize * dModel);
  }
  private block(tokens: Int32Array, T: number, l: number, row: number, i: number): number {
    return (l + 1) * (this.emb[(tokens[row] as number) * this.dModel + i] as number) + 0.1 * (row % T);
  }
  async tap(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layers: readonly number[],
  ): Promise<Map<number, Float32Array>> {
    this.calls++;
    const out = new Map<number, Float32Array>();
    for (const l of layers) {
      const h = new Float32Array(batch * seqLen * this.dModel);
      for (let r = 0; r < batch * seqLen; r++)
        for (let i = 0; i < this.dModel; i++) h[r * this.dModel + i] = this.block(tokens, seqLen, l, r, i);
      out.set(l, h);
    }
    return out;
  }
  async logitsWithDelta(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layer: number,
    delta: Float32Array | null,
  ): Promise<Float32Array> {
    this.calls++;
    const d = this.dModel;
    const V = this.vocabSize;
    const L = this.numLayers;
    const out = new Float32Array(batch * seqLen * V);
    const h = new Float32Array(d);
    for (let r = 0; r < batch * seqLen; r++) {
      for (let i = 0; i < d; i++)
        h[i] = this.block(tokens, seqLen, L - 1, r, i) + (delta ? (L - layer) * (delta[r * d + i] as number) * 0.5 : 0);
      for (let v = 0; v < V; v++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += (h[i] as number) * (this.emb[v * d + i] as number);
        out[r * V + v] = s * 0.1;
      }
    }
    return out;
  }

  /** rowNll over this model's own logits; checks its arguments as LlamaModel.nllWithDelta does. */
  async nllWithDelta(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layer: number,
    delta: Float32Array | null,
  ): Promise<Float32Array> {
    if (!Number.isInteger(seqLen) || seqLen < 2)
      throw new RangeError(`ToyModel.nllWithDelta: seqLen must be an integer >= 2, got ${seqLen}`);
    if (tokens.length !== batch * seqLen)
      throw new RangeError(
        `ToyModel.nllWithDelta: tokens has ${tokens.length} ids, expected batch*seqLen = ${batch * seqLen}`,
      );
    if (!Number.isInteger(layer) || layer < 0 || layer > this.numLayers)
      throw new RangeError(`ToyModel.nllWithDelta: layer ${layer} is not a site in [0, ${this.numLayers}]`);
    if (delta && delta.length !== batch * seqLen * this.dModel)
      throw new RangeError(
        `ToyModel.nllWithDelta: delta has ${delta.length} values, expected ${batch * seqLen * this.dModel}`,
      );
    const logits = await this.logitsWithDelta(tokens, batch, seqLen, layer, delta);
    const V = this.vocabSize;
    const out = new Float32Array(batch * (seqLen - 1));
    for (let b = 0; b < batch; b++)
      for (let t = 0; t + 1 < seqLen; t++)
        out[b * (seqLen - 1) + t] = rowNll(logits, (b * seqLen + t) * V, V, tokens[b * seqLen + t + 1] as number);
    return out;
  }
}

/** A dense-in-JS TopK SAE with random weights (W_dec rows = W_enc columns, unit norm). */
export class ToySae implements SaeCodec {
  readonly wDec: Float32Array;
  readonly bDec: Float32Array;
  constructor(
    readonly d: number,
    readonly n: number,
    readonly k: number,
    seed: string,
  ) {
    const rng = runRng(seed).stream('sae');
    this.wDec = rng.normalArray(n * d);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += (this.wDec[j * d + i] as number) ** 2;
      for (let i = 0; i < d; i++) this.wDec[j * d + i] = (this.wDec[j * d + i] as number) / Math.sqrt(s);
    }
    this.bDec = rng.normalArray(d, 0.01);
  }
  decoderRow(j: number): Float32Array {
    return this.wDec.slice(j * this.d, (j + 1) * this.d);
  }
  async encode(x: Float32Array, rows: number): Promise<TopKCodes> {
    return this.encodeAmong(x, rows, new Set(Array.from({ length: this.n }, (_, j) => j)));
  }
  async encodeAmong(x: Float32Array, rows: number, features: ReadonlySet<number>): Promise<TopKCodes> {
    const { d, k } = this;
    const values = new Float32Array(rows * k);
    const indices = new Int32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const pre: [number, number][] = [];
      for (const j of features) {
        let s = 0;
        for (let i = 0; i < d; i++)
          s += ((x[r * d + i] as number) - (this.bDec[i] as number)) * (this.wDec[j * d + i] as number);
        pre.push([Math.max(0, s), j]);
      }
      pre.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      for (let t = 0; t < k && t < pre.length; t++) {
        values[r * k + t] = pre[t]![0];
        indices[r * k + t] = pre[t]![1];
      }
    }
    return { rows, k, values, indices };
  }
}

/**
 * perplexity() as it was before the model returned NLLs: full logits [batch*seqLen*V] back in JS, and
 * rowNll's float64 log-sum-exp per position. The oracle for tests and the "before" of the benchmark.
 */
export async function perplexityFromLogits(
  mid: InjectableModel,
  windows: EvalWindows,
  numLangs: number,
  injection: Injection | null,
  batch = 8,
): Promise<PerplexityResult> {
  const { seqLen: T, count } = windows;
  const sum = new Float64Array(numLangs);
  const n = new Float64Array(numLangs);
  const V = mid.vocabSize;
  const active =
    injection &&
    injection.alpha !== 0 &&
    (injection.mask.size > 0 || (injection.variant ?? DEFAULT_VARIANT).includeBias);
  for (let start = 0; start < count; start += batch) {
    const b = Math.min(batch, count - start);
    const toks = windows.tokens.subarray(start * T, (start + b) * T);
    let delta: Float32Array | null = null;
    if (active && injection) {
      const h = (await injection.full.tap(toks, b, T, [injection.layer])).get(injection.layer) as Float32Array;
      delta = await injectionDelta(h, b * T, injection.sae, injection.mask, injection.alpha, injection.variant);
    }
    const logits = await mid.logitsWithDelta(toks, b, T, injection?.layer ?? 0, delta);
    for (let w = 0; w < b; w++) {
      const lang = windows.langs[start + w] as number;
      for (let t = 0; t < T - 1; t++) {
        sum[lang] = (sum[lang] as number) + rowNll(logits, (w * T + t) * V, V, toks[w * T + t + 1] as number);
        n[lang] = (n[lang] as number) + 1;
      }
    }
  }
  return perplexityFromSums(sum, n);
}

/** A tiny real Llama config (3 blocks, GQA, width 16, vocabulary 40) for tests that need real attention. */
export const TINY_LLAMA = parseLlamaConfig({
  model_type: 'llama',
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 40,
  max_position_embeddings: 16,
});
