import type { LlamaConfig } from './config.ts';

/** Hugging Face tensor names and shapes of a Llama checkpoint ([out, in] for linear layers). */
export function llamaParamShapes(c: LlamaConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  m.set('model.embed_tokens.weight', [c.vocabSize, d]);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}`;
    m.set(`${p}.input_layernorm.weight`, [d]);
    m.set(`${p}.self_attn.q_proj.weight`, [q, d]);
    m.set(`${p}.self_attn.k_proj.weight`, [kv, d]);
    m.set(`${p}.self_attn.v_proj.weight`, [kv, d]);
    m.set(`${p}.self_attn.o_proj.weight`, [d, q]);
    m.set(`${p}.post_attention_layernorm.weight`, [d]);
    m.set(`${p}.mlp.gate_proj.weight`, [c.intermediateSize, d]);
    m.set(`${p}.mlp.up_proj.weight`, [c.intermediateSize, d]);
    m.set(`${p}.mlp.down_proj.weight`, [d, c.intermediateSize]);
    if (c.attentionBias) {
      for (const [n, size] of [
        ['q_proj', q],
        ['k_proj', kv],
        ['v_proj', kv],
        ['o_proj', d],
      ] as const)
        m.set(`${p}.self_attn.${n}.bias`, [size]);
    }
    if (c.mlpBias) {
      for (const [n, size] of [
        ['gate_proj', c.intermediateSize],
        ['up_proj', c.intermediateSize],
        ['down_proj', d],
      ] as const)
        m.set(`${p}.mlp.${n}.bias`, [size]);
    }
  }
  m.set('model.norm.weight', [d]);
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', [c.vocabSize, d]);
  return m;
}

/** True for projection biases (attention_bias / mlp_bias): no weight decay, initialised to zero. */
export function isBiasParam(name: string): boolean {
  return name.endsWith('.bias');
}

/** True for norm weights (no weight decay, initialised to one). */
export function isNormParam(name: string): boolean {
  return name.endsWith('layernorm.weight') || name === 'model.norm.weight';
}
