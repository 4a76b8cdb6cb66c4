import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  readCheckpointTensors,
  readJsonRecord,
  removeStaleTemps,
  writeJsonAtomic,
  writeSafetensors,
  writeShardedSafetensors,
  type Rng,
  type TensorData,
} from '@saetrace/engine';
import { toHfConfig, type LlamaConfig } from './config.ts';
import { isBiasParam, isNormParam, llamaParamShapes } from './params.ts';

export type LlamaWeights = Record<string, TensorData>;

/** The file of a checkpoint that holds tensor `name` (the single file, or the shard the index names). */
function weightFile(dir: string, name: string): string {
  const index = join(dir, 'model.safetensors.index.json');
  if (!existsSync(index)) return join(dir, 'model.safetensors');
  const map = readJsonRecord<{ weight_map?: Record<string, string> }>(
    index,
    'restore the checkpoint from where it came from',
  ).weight_map;
  return join(dir, map?.[name] ?? 'model.safetensors.index.json');
}

/** Set to 1 to load checkpoints whose weights hold NaN or infinity (e.g. to inspect a diverged run). */
export const ALLOW_NONFINITE_ENV = 'SAETRACE_ALLOW_NONFINITE_WEIGHTS';

/**
 * The first non-finite element of a checkpoint's weights, as an error naming the file and tensor: a NaN in
 * the weights otherwise surfaces far later, as NaN activations, a NaN SAE loss or an all-NaN figure.
 */
export function checkFiniteWeights(dir: string, weights: LlamaWeights): void {
  for (const [name, t] of Object.entries(weights)) {
    const x = t.data as Float32Array;
    for (let i = 0; i < x.length; i++) {
      if (Number.isFinite(x[i] as number)) continue;
      let bad = 0;
      for (let j = i; j < x.length; j++) if (!Number.isFinite(x[j] as number)) bad++;
      throw new Error(
        `${weightFile(dir, name)}: tensor '${name}' holds ${bad} non-finite value${bad > 1 ? 's' : ''} (first: ${x[i]} at element ${i}); the checkpoint is damaged or its training diverged: use another checkpoint, or set ${ALLOW_NONFINITE_ENV}=1 to load it anyway`,
      );
    }
  }
}

/** Directories whose unused tensors were already reported: one warning per checkpoint and process. */
const warnedUnused = new Set<string>();

/**
 * Tensors the config does not account for. A projection bias with attention_bias / mlp_bias false, or an
 * lm_head.weight unlike the embeddings under tie_word_embeddings true, would change the maths if used, so
 * they are errors naming the config key; anything else (e.g. rotary_emb.inv_freq) is listed once on stderr.
 */
function checkExtraTensors(
  dir: string,
  c: LlamaConfig,
  unused: readonly string[],
  tensors: ReadonlyMap<string, TensorData>,
): void {
  for (const name of unused) {
    const key = /\.self_attn\.[qkvo]_proj\.bias$/.test(name)
      ? 'attention_bias'
      : /\.mlp\.(gate|up|down)_proj\.bias$/.test(name)
        ? 'mlp_bias'
        : null;
    if (key)
      throw new Error(
        `${weightFile(dir, name)}: tensor '${name}' is in the checkpoint but config.json has ${key} false; the model would need it (set ${key} true in config.json if the checkpoint was trained with biases)`,
      );
  }
  const head = tensors.get('lm_head.weight');
  const embed = tensors.get('model.embed_tokens.weight');
  if (c.tieWordEmbeddings && head && embed) {
    const a = head.data as Float32Array;
    const b = embed.data as Float32Array;
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
      throw new Error(
        `${weightFile(dir, 'lm_head.weight')}: config.json has tie_word_embeddings true but the checkpoint's lm_head.weight differs from model.embed_tokens.weight; set tie_word_embeddings false to use the separate head`,
      );
    }
  }
  if (unused.length > 0 && !warnedUnused.has(dir)) {
    warnedUnused.add(dir);
    process.stderr.write(
      `warning: ${dir}: ${unused.length} tensor${unused.length > 1 ? 's' : ''} in the checkpoint not used by a Llama of this config: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', ...' : ''}\n`,
    );
  }
}

/** Reads a checkpoint's tensors and checks every name and shape against config.json, and that every weight is finite. */
export async function readLlamaWeights(
  dir: string,
  c: LlamaConfig,
  options: { readonly allowNonFinite?: boolean } = {},
): Promise<LlamaWeights> {
  const expected = llamaParamShapes(c);
  const unused: string[] = [];
  const tensors = await readCheckpointTensors(dir, (name) => {
    if (expected.has(name) || name === 'lm_head.weight') return true;
    unused.push(name);
    return false;
  });
  checkExtraTensors(dir, c, unused, tensors);
  const out: LlamaWeights = {};
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) throw new Error(`${dir}: tensor '${name}' is missing from the checkpoint`);
    if (t.dtype !== 'float32')
      throw new Error(`${dir}: tensor '${name}' has element type ${t.dtype}, expected a float type`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `${dir}: tensor '${name}' has shape [${t.shape.join(',')}] but config.json implies [${shape.join(',')}]`,
      );
    }
    out[name] = t;
  }
  if (!(options.allowNonFinite ?? process.env[ALLOW_NONFINITE_ENV] === '1')) checkFiniteWeights(dir, out);
  return out;
}

/** Random initial weights: N(0, std) for matrices (output projections scaled by 1/sqrt(2L)), ones for norms. */
export function initLlamaWeights(c: LlamaConfig, rng: Rng, std = 0.02): LlamaWeights {
  const out: LlamaWeights = {};
  for (const [name, shape] of llamaParamShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (isNormParam(name)) {
      out[name] = { dtype: 'float32', shape, data: new Float32Array(n).fill(1) };
      continue;
    }
    if (isBiasParam(name)) {
      out[name] = { dtype: 'float32', shape, data: new Float32Array(n) };
      continue;
    }
    const s = /o_proj|down_proj/.test(name) ? std / Math.sqrt(2 * c.numLayers) : std;
    out[name] = { dtype: 'float32', shape, data: rng.stream(name).normalArray(n, s) };
  }
  return out;
}

const FLOAT_FORMATS = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' } as const;

export interface SaveCheckpointOptions {
  /** Copy tokenizer.json and tokenizer_config.json from here. */
  readonly tokenizerDir?: string;
  /** Written as saetrace.json (training facts such as tokens seen). */
  readonly info?: Record<string, unknown>;
  /** Stored precision of the weights (config.json's torch_dtype follows); default float32. */
  readonly dtype?: keyof typeof FLOAT_FORMATS;
  /** Shard into model-0000i-of-0000n.safetensors files of at most this many bytes, with an index. */
  readonly maxShardBytes?: number;
  /** Called after each file is in place (a fault-injection point for tests of resumption). */
  readonly onWrite?: (file: string) => void;
}

/**
 * Writes a checkpoint in Hugging Face layout: config.json, model.safetensors or shards with their index
 * (+ the tokenizer files copied from tokenizerDir), and saetrace.json with whatever training facts are given.
 */
export async function saveLlamaCheckpoint(
  dir: string,
  c: LlamaConfig,
  weights: LlamaWeights,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  const dtype = options.dtype ?? 'float32';
  const floatFormat = FLOAT_FORMATS[dtype];
  if (!floatFormat)
    throw new RangeError(
      `saveLlamaCheckpoint: dtype '${String(dtype)}' is not one of ${Object.keys(FLOAT_FORMATS).join(', ')}`,
    );
  await mkdir(dir, { recursive: true });
  await removeStaleTemps(dir);
  // Drop the other layout's weight files so a reader never mixes a stale one with the new one.
  for (const f of await readdir(dir)) {
    if (
      f === 'model.safetensors.index.json' ||
      /^model-\d+-of-\d+\.safetensors$/.test(f) ||
      (f === 'model.safetensors' && options.maxShardBytes !== undefined)
    )
      await rm(join(dir, f));
  }
  const wrote = options.onWrite ?? (() => {});
  if (options.maxShardBytes !== undefined)
    await writeShardedSafetensors(dir, weights, options.maxShardBytes, { format: 'pt' }, { floatFormat });
  else await writeSafetensors(join(dir, 'model.safetensors'), weights, { format: 'pt' }, { floatFormat });
  wrote('model.safetensors');
  if (options.tokenizerDir) {
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
      const src = join(options.tokenizerDir, f);
      if (existsSync(src)) {
        await copyFile(src, join(dir, f));
        wrote(f);
      }
    }
  }
  if (options.info) {
    await writeJsonAtomic(join(dir, 'saetrace.json'), options.info);
    wrote('saetrace.json');
  }
  // config.json last: a directory with it is a complete checkpoint.
  await writeJsonAtomic(join(dir, 'config.json'), { ...toHfConfig(c), torch_dtype: dtype });
  wrote('config.json');
}
