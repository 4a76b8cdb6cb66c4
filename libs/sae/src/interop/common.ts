import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, type TensorData } from '@saetrace/engine';
import type { SaeParams } from '../init.ts';

/** The formats saetrace writes and reads beside its own (../shared/SPEC.md section 3 TopK SAEs only). */
export const SAE_FORMATS = ['saelens', 'sparsify', 'llmjp'] as const;
export type SaeFormat = (typeof SAE_FORMATS)[number];

/** Where the activations came from, carried across formats as far as each format has fields for it. */
export interface SaeOrigin {
  readonly model?: string;
  readonly checkpoint?: string;
  /** ../shared/SPEC.md section 2 site: Hugging Face hidden_states[layer]. */
  readonly layer?: number;
}

/** An SAE in saetrace's terms: parameters (W_enc as [n, d] rows), shape, where it came from, and a note on inputs. */
export interface PortableSae {
  readonly params: SaeParams;
  readonly d: number;
  readonly n: number;
  readonly k: number;
  readonly origin: SaeOrigin;
}

/** An import or export problem, naming the file and key. */
export class SaeFormatError extends Error {
  override readonly name = 'SaeFormatError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** The unit-L2 input convention as each format's metadata records it. */
export const UNIT_L2_NOTE =
  'inputs are residual-stream vectors scaled to unit L2 norm per token (no mean subtraction) before the SAE';

/**
 * Hook names for SPEC site l = hidden_states[l]: TransformerLens (SAELens) calls the embedding output
 * blocks.0.hook_resid_pre and block b's output blocks.b.hook_resid_post; sparsify names the module whose
 * output it hooks (embed_tokens, layers.b), as llm-jp-sae's train.py does.
 */
export function transformerLensHook(layer: number): string {
  return layer === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${layer - 1}.hook_resid_post`;
}
export function sparsifyHookpoint(layer: number): string {
  return layer === 0 ? 'embed_tokens' : `layers.${layer - 1}`;
}
export function layerFromHook(hook: string): number | undefined {
  const tl = /^blocks\.(\d+)\.hook_resid_(pre|post)$/.exec(hook);
  if (tl) return Number(tl[1]) + (tl[2] === 'post' ? 1 : 0);
  if (hook === 'embed_tokens' || hook === 'model.embed_tokens') return 0;
  const sp = /^(?:model\.)?layers\.(\d+)$/.exec(hook);
  return sp ? Number(sp[1]) + 1 : undefined;
}

export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c] as number;
  return out;
}

export function scaled(a: Float32Array, s: number): Float32Array {
  return a.map((v) => v * s);
}

export const f32 = (data: Float32Array, shape: number[]): TensorData => ({ dtype: 'float32', shape, data });

/** Reads a JSON object; a parse error or a non-object names the file. */
export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SaeFormatError(path, `cannot read: ${(e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SaeFormatError(path, `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SaeFormatError(path, 'expected a JSON object');
  return v as Record<string, unknown>;
}

export function positiveInt(file: string, obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new SaeFormatError(file, `key '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

export function optionalString(obj: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** Reads float tensors (F32, F16, BF16, F64 all widen to float32) and checks each one's shape. */
export async function readTensors(dir: string, file: string): Promise<(name: string, shape: number[]) => Float32Array> {
  const path = join(dir, file);
  const { tensors } = await readSafetensors(path);
  return (name, shape) => {
    const t = tensors.get(name);
    if (!t)
      throw new SaeFormatError(path, `tensor '${name}' is missing (has ${[...tensors.keys()].join(', ') || 'none'})`);
    if (t.dtype !== 'float32') throw new SaeFormatError(path, `tensor '${name}' is ${t.dtype}, expected a float type`);
    if (t.shape.join(',') !== shape.join(','))
      throw new SaeFormatError(
        path,
        `tensor '${name}' has shape [${t.shape.join(',')}], the config implies [${shape.join(',')}]`,
      );
    return t.data as Float32Array;
  };
}
