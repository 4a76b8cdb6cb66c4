import { nn, type Dim, type Graph, type Value } from '@saetrace/engine';
import type { LlamaConfig, RopeScaling } from './config.ts';
import { checkSite } from './sites.ts';

export interface ForwardOptions {
  /** Window length T (rotary tables and the causal mask are built for it). */
  readonly seqLen: number;
  /** Sites (sites.ts: 0 = embedding output, l = output of block l-1, before any later norm) to return. */
  readonly taps?: readonly number[];
  /** An additive input [B, T, d] to the residual stream at site `layer` (what block `layer` reads). */
  readonly inject?: { readonly layer: number; readonly delta: Value };
  /** Return logits [B, T, V] (default true). */
  readonly logits?: boolean;
  /**
   * Positions int64 [B]: the LM head runs only at that position of each row, logits [B, V]. Greedy decoding
   * reads one position per row, so this skips (T-1) x d x V of the head's T x d x V multiply-adds per row
   * (T 128, d 192, V 8192: 200M of 201M, about 37% of that model's whole forward of 541M).
   */
  readonly headAt?: Value;
  /**
   * Return `nll` [B, T-1] instead of logits: entry (b, t) is -log p(tokens[b, t+1] | tokens[b, ..t]),
   * a LogSoftmax over the vocabulary then GatherElements of the next token. Position T-1 has no next
   * token, so the head skips it. Perplexity reads one float per position instead of V (at V 8192,
   * 32 KiB down to 4 bytes: a batch of 8 x 64 returns 2 KB instead of 16 MB).
   */
  readonly nextTokenNll?: boolean;
  /** Stop at this site (blocks 0..site-1 run): the forward returns its residual as `residual`. */
  readonly stopAtSite?: number;
  /** Start from a residual [B, T, d] given as input standing for site `site` (the other half of a split). */
  readonly resume?: { readonly site: number; readonly residual: Value };
}

export interface ForwardResult {
  readonly logits: Value | null;
  /** Next-token NLL [B, T-1] when `nextTokenNll` was asked for (logits is then null). */
  readonly nll: Value | null;
  readonly taps: Map<number, Value>;
  readonly residual: Value;
  /**
   * Each block's keys (after rotary) and values, [B, KV, 1, T, hd]: what a decoding cache keeps
   * (llamaDecodeStep reads them as its past). Graph values only; nothing is computed unless output.
   */
  readonly kv: readonly { readonly k: Value; readonly v: Value }[];
}

/** Inverse rotary frequencies, one per pair of head_dim, as transformers' modeling_rope_utils.py computes them per rope type. */
export function ropeInverseFrequencies(
  headDim: number,
  theta: number,
  rope: RopeScaling = { type: 'default' },
): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const f = 1 / theta ** ((2 * i) / headDim);
    if (rope.type === 'default') inv[i] = f;
    else if (rope.type === 'linear') inv[i] = f / rope.factor;
    else {
      // llama3: wavelengths past original/low_freq_factor are divided by factor, those under
      // original/high_freq_factor kept, and the band between blended linearly in original/wavelength.
      const { factor, lowFreqFactor: lo, highFreqFactor: hi, originalMaxPositionEmbeddings: n } = rope;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen > n / lo) inv[i] = f / factor;
      else if (wavelen < n / hi) inv[i] = f;
      else {
        const s = (n / wavelen - lo) / (hi - lo);
        inv[i] = (1 - s) * (f / factor) + s * f;
      }
    }
  }
  return inv;
}

/** Rotary tables for positions 0..T-1, Hugging Face layout: [cos(f) cos(f)] over the two halves of head_dim. */
export function rotaryTables(
  T: number,
  headDim: number,
  theta: number,
  rope: RopeScaling = { type: 'default' },
): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const inv = ropeInverseFrequencies(headDim, theta, rope);
  const cos = new Float32Array(T * headDim);
  const sin = new Float32Array(T * headDim);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      // Default rope stays a division: its tables are bit-identical to those the recorded families saw.
      const a = rope.type === 'default' ? t / theta ** ((2 * i) / headDim) : t * inv[i]!;
      cos[t * headDim + i] = cos[t * headDim + i + half] = Math.cos(a);
      sin[t * headDim + i] = sin[t * headDim + i + half] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/** rotate_half as a matrix: x R = [-x2, x1] for x = [x1, x2]. */
export function rotateHalfMatrix(headDim: number): Float32Array {
  const h = headDim / 2;
  const r = new Float32Array(headDim * headDim);
  for (let i = 0; i < h; i++) {
    r[(i + h) * headDim + i] = -1; // out[i] = -x[i + h]
    r[i * headDim + (i + h)] = 1; // out[i + h] = x[i]
  }
  return r;
}

/**
 * Builds a Llama forward pass on `tokens` [B, T] (int64) from parameters given as graph values under their
 * Hugging Face names (so one graph serves every checkpoint of a config, and training feeds them as inputs).
 */
export function llamaForward(
  g: Graph,
  c: LlamaConfig,
  p: Readonly<Record<string, Value>>,
  tokens: Value | null,
  o: ForwardOptions,
): ForwardResult {
  const T = o.seqLen;
  const hd = c.headDim;
  const KV = c.numKvHeads;
  const rep = c.numHeads / KV;
  const P = (name: string): Value => {
    const v = p[name];
    if (!v) throw new Error(`llamaForward: parameter '${name}' is missing`);
    return v;
  };
  // A projection's bias is a parameter under its weight's name with `.bias` (present when attention_bias /
  // mlp_bias is set: libs/lm/src/llama/params.ts).
  const linear = (x: Value, w: string) => {
    const y = nn.matmul(g, x, nn.transpose(g, P(w), [1, 0]));
    const biased = (c.attentionBias && w.includes('.self_attn.')) || (c.mlpBias && w.includes('.mlp.'));
    return biased ? nn.add(g, y, P(w.replace(/\.weight$/, '.bias'))) : y;
  };
  // Rotary tables and the causal mask are made on first use: a split after the last block needs neither.
  let tables: { cosV: Value; sinV: Value; rot: Value; maskV: Value } | null = null;
  const consts = () => {
    if (!tables) {
      const { cos, sin } = rotaryTables(T, hd, c.ropeTheta, c.rope);
      tables = {
        cosV: g.constant(Array.from(cos), [T, hd]),
        sinV: g.constant(Array.from(sin), [T, hd]),
        rot: g.constant(Array.from(rotateHalfMatrix(hd)), [hd, hd]),
        maskV: g.constant(
          Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0)),
          [T, T],
        ),
      };
    }
    return tables;
  };
  const rope = (x: Value) => {
    const t = consts();
    return nn.add(g, nn.mul(g, x, t.cosV), nn.mul(g, nn.matmul(g, x, t.rot), t.sinV));
  };
  const taps = new Map<number, Value>();
  const tapSet = new Set(o.taps ?? []);
  for (const l of tapSet) checkSite('llamaForward', l, c.numLayers, 'tap');
  const endSite = o.stopAtSite ?? c.numLayers;
  checkSite('llamaForward', endSite, c.numLayers, 'stopAtSite');
  if (o.inject) checkSite('llamaForward', o.inject.layer, c.numLayers, 'injection site');

  const first = o.resume?.site ?? 0;
  if (o.resume) checkSite('llamaForward', first, c.numLayers, 'resume site');
  // A tap or injection outside the sites this graph runs would silently do nothing.
  for (const s of [...tapSet, ...(o.inject ? [o.inject.layer] : [])]) {
    if (s < first || s > endSite)
      throw new RangeError(`llamaForward: site ${s} is outside the sites ${first}..${endSite} this forward runs`);
  }
  let h: Value;
  if (o.resume) {
    h = o.resume.residual;
  } else {
    if (!tokens) throw new Error('llamaForward: tokens are required unless resuming from a residual');
    h = g.op1('Gather', [P('model.embed_tokens.weight'), tokens], { axis: 0 });
  }
  // Site s is the residual before block s: tap it, then add an injection at it, then run block s.
  const atSite = (s: number) => {
    if (tapSet.has(s)) taps.set(s, h);
    if (o.inject && o.inject.layer === s) h = nn.add(g, h, o.inject.delta);
  };
  const kv: { k: Value; v: Value }[] = [];
  for (let l = first; l < endSite; l++) {
    atSite(l);
    const pre = `model.layers.${l}`;
    const x = nn.rmsNorm(g, h, P(`${pre}.input_layernorm.weight`), c.rmsNormEps);
    const heads = (v: Value, groups: number, per: number) =>
      nn.transpose(g, nn.reshape(g, v, [0, T, groups, per, hd]), [0, 2, 3, 1, 4]);
    const q = rope(heads(linear(x, `${pre}.self_attn.q_proj.weight`), KV, rep));
    const k = rope(heads(linear(x, `${pre}.self_attn.k_proj.weight`), KV, 1));
    const v = heads(linear(x, `${pre}.self_attn.v_proj.weight`), KV, 1);
    kv.push({ k, v });
    const scores = nn.add(
      g,
      nn.scale(g, nn.matmul(g, q, nn.transpose(g, k, [0, 1, 2, 4, 3])), 1 / Math.sqrt(hd)),
      consts().maskV,
    );
    const att = nn.matmul(g, g.op1('Softmax', [scores], { axis: -1 }), v);
    const merged = nn.reshape(g, nn.transpose(g, att, [0, 3, 1, 2, 4]), [0, T, c.numHeads * hd]);
    h = nn.add(g, h, linear(merged, `${pre}.self_attn.o_proj.weight`));
    const y = nn.rmsNorm(g, h, P(`${pre}.post_attention_layernorm.weight`), c.rmsNormEps);
    const mlp = linear(
      nn.mul(g, nn.silu(g, linear(y, `${pre}.mlp.gate_proj.weight`)), linear(y, `${pre}.mlp.up_proj.weight`)),
      `${pre}.mlp.down_proj.weight`,
    );
    h = nn.add(g, h, mlp);
  }
  atSite(endSite);
  let logits: Value | null = null;
  let nll: Value | null = null;
  const head = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  if (o.nextTokenNll) {
    if (o.headAt) throw new Error('llamaForward: nextTokenNll and headAt are exclusive');
    if (!tokens) throw new Error('llamaForward: nextTokenNll needs the tokens (its targets)');
    if (T < 2) throw new RangeError(`llamaForward: nextTokenNll needs seqLen >= 2, got ${T}`);
    if (endSite !== c.numLayers) throw new Error('llamaForward: nextTokenNll needs the whole forward (no stopAtSite)');
    const normed = nn.rmsNorm(g, h, P('model.norm.weight'), c.rmsNormEps);
    const upTo = (x: Value, from: number, to: number) => g.op1('Slice', [x, g.ints([from]), g.ints([to]), g.ints([1])]);
    const lsm = g.op1('LogSoftmax', [linear(upTo(normed, 0, T - 1), head)], { axis: -1 });
    const targets = g.op1('Unsqueeze', [upTo(tokens, 1, T), g.ints([-1])]);
    nll = g.op1('Neg', [g.op1('Squeeze', [g.op1('GatherElements', [lsm, targets], { axis: -1 }), g.ints([-1])])]);
  } else if ((o.logits ?? true) && endSite === c.numLayers) {
    const normed = nn.rmsNorm(g, h, P('model.norm.weight'), c.rmsNormEps);
    // GatherND with one batch dim picks row b's position headAt[b]: [B, T, d] -> [B, d].
    const hn = o.headAt
      ? g.op1('GatherND', [normed, g.op1('Unsqueeze', [o.headAt, g.ints([-1])])], { batch_dims: 1 })
      : normed;
    logits = linear(hn, head);
  }
  return { logits, nll, taps, residual: h, kv };
}

/** The symbolic batch dimension used by inference graphs. */
export const BATCH: Dim = 'batch';
