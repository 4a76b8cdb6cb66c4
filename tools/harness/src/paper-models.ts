// The LLM-jp-3 shapes the paper profile runs on, for estimates made without the checkpoints (none are on
// this machine; `saetrace run --dry-run` reads the real config.json where they are). Layers and d_model are
// ../shared/SPEC.md section 1; ffn, heads and vocab are the published Hugging Face config.json of each size
// (huggingface.co/llm-jp/llm-jp-3-<size>[-instruct3]/config.json) except 150m's, not found: its ffn is taken
// as 3.5 x d_model like 440m, 980m and 1.8b, and 8 heads of 64 (an assumption, said where it is used).
import { parseLlamaConfig, type LlamaConfig } from '@saetrace/lm';

interface Shape {
  readonly d: number;
  readonly ffn: number;
  readonly blocks: number;
  readonly heads: number;
  readonly headDim: number;
}

const SHAPES: Readonly<Record<string, Shape>> = {
  '150m': { d: 512, ffn: 1792, blocks: 12, heads: 8, headDim: 64 },
  '440m': { d: 1024, ffn: 3584, blocks: 16, heads: 8, headDim: 128 },
  '980m': { d: 1536, ffn: 5376, blocks: 20, heads: 8, headDim: 192 },
  '1.8b': { d: 2048, ffn: 7168, blocks: 24, heads: 16, headDim: 128 },
  '3.7b': { d: 3072, ffn: 8192, blocks: 28, heads: 24, headDim: 128 },
};

/** Sizes whose shape is an assumption rather than a published config. */
export const ASSUMED_SHAPES: readonly string[] = ['150m'];

/**
 * The paper's Table 3: time to train one SAE on one A100 40GB, which includes running the LM for its
 * activations (the paper's section 4 setup), in minutes; /work/shared/paper, ../shared/SPEC.md section 1.
 */
export const TABLE3_A100_MINUTES: Readonly<Record<string, number>> = {
  '150m': 20,
  '440m': 25,
  '980m': 40,
  '1.8b': 60,
  '3.7b': 90,
};

/** The Llama config of an LLM-jp-3 size, or an error naming the sizes known. */
export function paperConfig(size: string): LlamaConfig {
  const s = SHAPES[size];
  if (!s) throw new Error(`no LLM-jp-3 shape for size '${size}' (known: ${Object.keys(SHAPES).join(', ')})`);
  return parseLlamaConfig(
    {
      model_type: 'llama',
      hidden_size: s.d,
      intermediate_size: s.ffn,
      num_hidden_layers: s.blocks,
      num_attention_heads: s.heads,
      num_key_value_heads: s.heads,
      head_dim: s.headDim,
      vocab_size: 99584,
      tie_word_embeddings: false,
      max_position_embeddings: 4096,
    },
    `LLM-jp-3 ${size} (tools/harness/src/paper-models.ts)`,
  );
}
