import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonRecord } from '@saetrace/engine';

/** The Llama hyper-parameters saetrace reads from a Hugging Face config.json. */
export interface LlamaConfig {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  /** Rotary frequency scaling (rope_parameters / rope_scaling); forward.ts rotaryTables applies it. */
  readonly rope: RopeScaling;
  readonly tieWordEmbeddings: boolean;
  /** attention_bias: q/k/v/o projections carry `*.bias` tensors (as transformers' LlamaAttention). */
  readonly attentionBias: boolean;
  /** mlp_bias: gate/up/down projections carry `*.bias` tensors (as transformers' LlamaMLP). */
  readonly mlpBias: boolean;
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  readonly maxPositionEmbeddings: number;
}

/**
 * The rope types saetrace implements, as transformers' modeling_rope_utils.py defines them: `default`,
 * `linear` (inverse frequencies divided by factor) and `llama3` (long wavelengths divided by factor,
 * a smooth blend between the two wavelength bounds). None of them scales attention.
 */
export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositionEmbeddings: number;
    };

export const SUPPORTED_ROPE_TYPES: readonly string[] = ['default', 'linear', 'llama3'];

export const SUPPORTED_MODEL_TYPES: readonly string[] = ['llama'];

/** A config.json that cannot be used; names the file and key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function int(path: string, raw: Record<string, unknown>, key: string, dflt?: number): number {
  const v = raw[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new ConfigError(`${path}: '${key}' must be a positive integer, got ${JSON.stringify(raw[key])}`);
  return v;
}

function num(path: string, raw: Record<string, unknown>, key: string, dflt: number): number {
  const v = raw[key] ?? dflt;
  if (typeof v !== 'number' || !(v > 0))
    throw new ConfigError(`${path}: '${key}' must be a positive number, got ${JSON.stringify(raw[key])}`);
  return v;
}

/** Keys that change the maths saetrace does not implement: refused by name rather than ignored. */
function refuseMathChanges(path: string, r: Record<string, unknown>): void {
  for (const key of ['attention_bias', 'mlp_bias'] as const) {
    if (r[key] !== undefined && r[key] !== null && typeof r[key] !== 'boolean')
      throw new ConfigError(`${path}: '${key}' must be true or false, got ${JSON.stringify(r[key])}`);
  }
  const tp = r.pretraining_tp;
  if (tp !== undefined && tp !== null && tp !== 1)
    throw new ConfigError(`${path}: pretraining_tp ${JSON.stringify(tp)} is not supported (supported: 1)`);
  if (r.use_sliding_window === true)
    throw new ConfigError(`${path}: use_sliding_window true is not supported (saetrace attends over the whole window)`);
  if (r.sliding_window !== undefined && r.sliding_window !== null && r.use_sliding_window !== false) {
    throw new ConfigError(
      `${path}: sliding_window ${JSON.stringify(r.sliding_window)} is not supported (saetrace attends over the whole window)`,
    );
  }
}

/**
 * Rotary settings from either layout: transformers >= 5 writes `rope_parameters: {rope_theta, rope_type,
 * factor, ...}`, older versions top-level `rope_theta` and `rope_scaling: {type | rope_type, factor, ...}`.
 */
function parseRope(path: string, r: Record<string, unknown>): { theta: number; rope: RopeScaling } {
  const rp = r.rope_parameters;
  let params: Record<string, unknown>;
  let where: string;
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== 'object' || Array.isArray(rp))
      throw new ConfigError(`${path}: 'rope_parameters' must be an object, got ${JSON.stringify(rp)}`);
    params = { rope_theta: r.rope_theta, ...(rp as Record<string, unknown>) };
    where = 'rope_parameters';
  } else {
    const sc = r.rope_scaling;
    if (sc !== undefined && sc !== null && (typeof sc !== 'object' || Array.isArray(sc)))
      throw new ConfigError(`${path}: 'rope_scaling' must be an object, got ${JSON.stringify(sc)}`);
    params = { ...((sc ?? {}) as Record<string, unknown>), rope_theta: r.rope_theta };
    where = 'rope_scaling';
  }
  const theta = num(path, params, 'rope_theta', 10000);
  const type = params.rope_type ?? params.type ?? 'default';
  const f = (key: string, dflt?: number): number => {
    const v = params[key] ?? dflt;
    if (typeof v !== 'number' || !(v > 0))
      throw new ConfigError(
        `${path}: '${where}.${key}' must be a positive number for rope type ${JSON.stringify(type)}, got ${JSON.stringify(params[key])}`,
      );
    return v;
  };
  if (type === 'default') return { theta, rope: { type } };
  if (type === 'linear') return { theta, rope: { type, factor: f('factor') } };
  if (type === 'llama3') {
    const rope = {
      type,
      factor: f('factor'),
      lowFreqFactor: f('low_freq_factor'),
      highFreqFactor: f('high_freq_factor'),
      originalMaxPositionEmbeddings: f('original_max_position_embeddings'),
    } as const;
    if (!(rope.highFreqFactor > rope.lowFreqFactor))
      throw new ConfigError(
        `${path}: '${where}.high_freq_factor' (${rope.highFreqFactor}) must exceed low_freq_factor (${rope.lowFreqFactor})`,
      );
    return { theta, rope };
  }
  throw new ConfigError(
    `${path}: '${where}' rope type ${JSON.stringify(type)} is not supported (supported: ${SUPPORTED_ROPE_TYPES.join(', ')})`,
  );
}

/** Float32 elements in one array: 4 GiB, Node's cap on one buffer. */
export const MAX_ARRAY_ELEMENTS = 2 ** 30;

/** Validates a parsed config.json object (path is used in messages). */
export function parseLlamaConfig(raw: unknown, path = 'config.json'): LlamaConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`${path}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  const type = r.model_type;
  if (typeof type !== 'string' || !SUPPORTED_MODEL_TYPES.includes(type)) {
    throw new ConfigError(
      `${path}: model_type ${JSON.stringify(type)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
    );
  }
  const hiddenSize = int(path, r, 'hidden_size');
  const numHeads = int(path, r, 'num_attention_heads');
  const numKvHeads = int(path, r, 'num_key_value_heads', numHeads);
  const headDim = int(path, r, 'head_dim', hiddenSize / numHeads);
  if (numHeads % numKvHeads !== 0)
    throw new ConfigError(
      `${path}: num_attention_heads (${numHeads}) is not a multiple of num_key_value_heads (${numKvHeads})`,
    );
  if (headDim % 2 !== 0) throw new ConfigError(`${path}: head dimension ${headDim} must be even for rotary embeddings`);
  const act = r.hidden_act ?? 'silu';
  if (act !== 'silu')
    throw new ConfigError(`${path}: hidden_act ${JSON.stringify(act)} is not supported (supported: silu)`);
  refuseMathChanges(path, r);
  const { theta: ropeTheta, rope } = parseRope(path, r);
  const intermediateSize = int(path, r, 'intermediate_size');
  const vocab = int(path, r, 'vocab_size');
  // One weight matrix is one Float32Array, whose bytes Node caps at 4 GiB (buffer.constants.MAX_LENGTH):
  // past that the load fails as a bare RangeError, so say which keys and how much memory instead.
  for (const [a, b, x, y] of [
    ['vocab_size', 'hidden_size', vocab, hiddenSize],
    ['intermediate_size', 'hidden_size', intermediateSize, hiddenSize],
    ['num_attention_heads x head_dim', 'hidden_size', numHeads * headDim, hiddenSize],
  ] as const) {
    if (x * y > MAX_ARRAY_ELEMENTS)
      throw new ConfigError(
        `${path}: ${a} x ${b} = ${x} x ${y} = ${x * y} weights in one matrix, ${((x * y * 4) / 2 ** 30).toFixed(1)} GiB of float32, over the limit of ${MAX_ARRAY_ELEMENTS} (4 GiB) one array can hold here`,
      );
  }
  return {
    hiddenSize,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize,
    numLayers: int(path, r, 'num_hidden_layers'),
    rmsNormEps: num(path, r, 'rms_norm_eps', 1e-6),
    ropeTheta,
    rope,
    tieWordEmbeddings: r.tie_word_embeddings === true,
    attentionBias: r.attention_bias === true,
    mlpBias: r.mlp_bias === true,
    vocabSize: vocab,
    bosTokenId: typeof r.bos_token_id === 'number' ? r.bos_token_id : 1,
    eosTokenId: typeof r.eos_token_id === 'number' ? r.eos_token_id : 2,
    maxPositionEmbeddings: int(path, r, 'max_position_embeddings', 2048),
  };
}

/** Reads and validates dir/config.json. */
export async function readLlamaConfig(dir: string): Promise<LlamaConfig> {
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ConfigError(`${path}: not found (a Hugging Face model directory needs config.json)`);
  }
  let raw: unknown;
  try {
    raw = parseJsonRecord<unknown>(
      text,
      path,
      "restore the checkpoint's config.json from where the checkpoint came from",
    );
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return parseLlamaConfig(raw, path);
}

/** config.json contents in Hugging Face's form. */
export function toHfConfig(c: LlamaConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tieWordEmbeddings,
    vocab_size: c.vocabSize,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    max_position_embeddings: c.maxPositionEmbeddings,
    torch_dtype: 'float32',
    attention_bias: c.attentionBias,
    mlp_bias: c.mlpBias,
    ...(c.rope.type === 'default' ? {} : { rope_scaling: hfRopeScaling(c.rope) }),
  };
}

function hfRopeScaling(r: Exclude<RopeScaling, { type: 'default' }>): Record<string, unknown> {
  if (r.type === 'linear') return { rope_type: 'linear', factor: r.factor };
  return {
    rope_type: 'llama3',
    factor: r.factor,
    low_freq_factor: r.lowFreqFactor,
    high_freq_factor: r.highFreqFactor,
    original_max_position_embeddings: r.originalMaxPositionEmbeddings,
  };
}
