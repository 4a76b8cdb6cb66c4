import { nn, type Graph, type Value } from '@saetrace/engine';
import type { LlamaConfig } from './config.ts';
import { rotateHalfMatrix, rotaryTables } from './forward.ts';
import { checkSite } from './sites.ts';

export interface DecodeStepOptions {
  /** Per block from the first, its past keys (after rotary) and values, [B, KV, 1, P, hd] each. */
  readonly past: readonly { readonly k: Value; readonly v: Value }[];
  /** Absolute position of each row's new token, int64 [B] (its rotary angle). */
  readonly positions: Value;
  /** Additive attention mask over the P past entries then the new one, float32 [B, P+1]: 0 or -1e9. */
  readonly mask: Value;
  /** Sites (sites.ts) whose residual [B, 1, d] is returned. */
  readonly taps?: readonly number[];
  /** An additive input [B, 1, d] to the residual stream at site `layer` (what block `layer` reads). */
  readonly inject?: { readonly layer: number; readonly delta: Value };
  /** Stop at this site (blocks 0..site-1 run; a tap needs no later block); the LM head then does not run. */
  readonly stopAtSite?: number;
}

export interface DecodeStepResult {
  /** Logits [B, V] of the new token, or null when stopped early. */
  readonly logits: Value | null;
  readonly taps: Map<number, Value>;
  /** Per block run, the past with the new token's key and value appended: [B, KV, 1, P+1, hd]. */
  readonly present: readonly { readonly k: Value; readonly v: Value }[];
}

/**
 * One token per row through the blocks, attending to cached keys and values instead of recomputing the
 * window: the same arithmetic as llamaForward at that position (rotary at the row's own position, a mask
 * in place of the causal one, since rows of a batch have different lengths and padding holes), at a cost
 * per token of one position's matrix products plus attention over P+1 entries.
 */
export function llamaDecodeStep(
  g: Graph,
  c: LlamaConfig,
  p: Readonly<Record<string, Value>>,
  tokens: Value,
  o: DecodeStepOptions,
): DecodeStepResult {
  const hd = c.headDim;
  const KV = c.numKvHeads;
  const rep = c.numHeads / KV;
  const endSite = o.stopAtSite ?? c.numLayers;
  checkSite('llamaDecodeStep', endSite, c.numLayers, 'stopAtSite');
  if (o.past.length !== endSite)
    throw new Error(`llamaDecodeStep: ${o.past.length} cached blocks for blocks 0..${endSite - 1}`);
  for (const s of [...(o.taps ?? []), ...(o.inject ? [o.inject.layer] : [])]) {
    if (!Number.isInteger(s) || s < 0 || s > endSite)
      throw new RangeError(`llamaDecodeStep: site ${s} is outside the sites 0..${endSite} this step runs`);
  }
  const P = (name: string): Value => {
    const v = p[name];
    if (!v) throw new Error(`llamaDecodeStep: parameter '${name}' is missing`);
    return v;
  };
  // A projection's bias is a parameter under its weight's name with `.bias` (present when attention_bias /
  // mlp_bias is set: libs/lm/src/llama/params.ts).
  const linear = (x: Value, w: string) => {
    const y = nn.matmul(g, x, nn.transpose(g, P(w), [1, 0]));
    const biased = (c.attentionBias && w.includes('.self_attn.')) || (c.mlpBias && w.includes('.mlp.'));
    return biased ? nn.add(g, y, P(w.replace(/\.weight$/, '.bias'))) : y;
  };
  const maxPos = c.maxPositionEmbeddings;
  const { cos, sin } = rotaryTables(maxPos, hd, c.ropeTheta, c.rope);
  // Each row's angles, [B, 1, 1, 1, hd], broadcast over its heads.
  const at = (table: Float32Array) =>
    nn.reshape(g, g.op1('Gather', [g.constant(Array.from(table), [maxPos, hd]), o.positions], { axis: 0 }), [
      0,
      1,
      1,
      1,
      hd,
    ]);
  const cosV = at(cos);
  const sinV = at(sin);
  const rot = g.constant(Array.from(rotateHalfMatrix(hd)), [hd, hd]);
  const rope = (x: Value) => nn.add(g, nn.mul(g, x, cosV), nn.mul(g, nn.matmul(g, x, rot), sinV));
  const mask = nn.reshape(g, o.mask, [0, 1, 1, 1, -1]);
  const tapSet = new Set(o.taps ?? []);
  const taps = new Map<number, Value>();
  const present: { k: Value; v: Value }[] = [];
  let h = g.op1('Gather', [P('model.embed_tokens.weight'), tokens], { axis: 0 });
  // Site s is the residual before block s: tap it, then add an injection at it (as llamaForward).
  const atSite = (s: number) => {
    if (tapSet.has(s)) taps.set(s, h);
    if (o.inject && o.inject.layer === s) h = nn.add(g, h, o.inject.delta);
  };
  for (let l = 0; l < endSite; l++) {
    atSite(l);
    const pre = `model.layers.${l}`;
    const past = o.past[l] as { k: Value; v: Value };
    const x = nn.rmsNorm(g, h, P(`${pre}.input_layernorm.weight`), c.rmsNormEps);
    const heads = (v: Value, groups: number, per: number) =>
      nn.transpose(g, nn.reshape(g, v, [0, 1, groups, per, hd]), [0, 2, 3, 1, 4]);
    const q = rope(heads(linear(x, `${pre}.self_attn.q_proj.weight`), KV, rep));
    const k = g.op1('Concat', [past.k, rope(heads(linear(x, `${pre}.self_attn.k_proj.weight`), KV, 1))], { axis: 3 });
    const v = g.op1('Concat', [past.v, heads(linear(x, `${pre}.self_attn.v_proj.weight`), KV, 1)], { axis: 3 });
    present.push({ k, v });
    const scores = nn.add(
      g,
      nn.scale(g, nn.matmul(g, q, nn.transpose(g, k, [0, 1, 2, 4, 3])), 1 / Math.sqrt(hd)),
      mask,
    );
    const att = nn.matmul(g, g.op1('Softmax', [scores], { axis: -1 }), v);
    const merged = nn.reshape(g, nn.transpose(g, att, [0, 3, 1, 2, 4]), [0, 1, c.numHeads * hd]);
    h = nn.add(g, h, linear(merged, `${pre}.self_attn.o_proj.weight`));
    const y = nn.rmsNorm(g, h, P(`${pre}.post_attention_layernorm.weight`), c.rmsNormEps);
    h = nn.add(
      g,
      h,
      linear(
        nn.mul(g, nn.silu(g, linear(y, `${pre}.mlp.gate_proj.weight`)), linear(y, `${pre}.mlp.up_proj.weight`)),
        `${pre}.mlp.down_proj.weight`,
      ),
    );
  }
  atSite(endSite);
  let logits: Value | null = null;
  if (endSite === c.numLayers) {
    const head = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    const normed = nn.rmsNorm(g, h, P('model.norm.weight'), c.rmsNormEps);
    logits = linear(nn.reshape(g, normed, [0, c.hiddenSize]), head);
  }
  return { logits, taps, present };
}
