import { join } from 'node:path';
import {
  fields,
  isObject,
  readJsonRecordAsync,
  readSafetensors,
  writeJsonAtomic,
  writeSafetensors,
  type TensorData,
} from '@saetrace/engine';
import type { SaeConfig } from './config.ts';
import type { SaeParams } from './init.ts';

export const SAETRACE_VERSION = '0.1.0';

/** What is recorded beside the weights: the recipe and where the activations came from. */
export interface SaeRecord {
  readonly config: SaeConfig;
  readonly normalisation: 'unit-l2';
  readonly hookSite: string;
  readonly model: string;
  readonly checkpoint: string;
  readonly layer: number;
  readonly saetraceVersion: string;
  readonly training?: Readonly<Record<string, number | string>>;
  /** Set by importSae: the recipe fields of config are defaults, the weights came from this file and reader. */
  readonly imported?: { readonly format: string; readonly from: string; readonly reader: string };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c] as number;
  return out;
}

/**
 * Saves saetrace's own layout: sae.safetensors with W_enc [d, n], b_enc [n], W_dec [n, d], b_dec [d] beside
 * cfg.json holding the SaeRecord. No other library reads this; interop/ writes SAELens, sparsify and
 * llm-jp-sae layouts (`saetrace sae export`).
 */
export async function saveSae(dir: string, params: SaeParams, record: SaeRecord): Promise<void> {
  const { d, n } = record.config;
  const t = (data: Float32Array, shape: number[]): TensorData => ({ dtype: 'float32', shape, data });
  await writeSafetensors(
    join(dir, 'sae.safetensors'),
    {
      W_enc: t(transpose(params.W_enc, n, d), [d, n]),
      b_enc: t(params.b_enc, [n]),
      W_dec: t(params.W_dec, [n, d]),
      b_dec: t(params.b_dec, [d]),
    },
    { format: 'saetrace-topk-sae' },
  );
  await writeJsonAtomic(join(dir, 'cfg.json'), record);
}

/** Loads an SAE saved by saveSae; a shape that disagrees with cfg.json is an error naming the tensor. */
export async function loadSae(dir: string): Promise<{ params: SaeParams; record: SaeRecord }> {
  const cfgPath = join(dir, 'cfg.json');
  const record = await readJsonRecordAsync<SaeRecord>(
    cfgPath,
    `delete ${dir} (a cached SAE is trained again) or restore the file`,
    fields({ config: isObject }),
  );
  const { d, n } = record.config;
  const { tensors } = await readSafetensors(join(dir, 'sae.safetensors'));
  const get = (name: string, shape: number[]): Float32Array => {
    const t = tensors.get(name);
    if (!t) throw new Error(`${dir}/sae.safetensors: tensor '${name}' is missing`);
    if (t.shape.join(',') !== shape.join(','))
      throw new Error(
        `${dir}/sae.safetensors: tensor '${name}' has shape [${t.shape.join(',')}], cfg.json implies [${shape.join(',')}]`,
      );
    return t.data as Float32Array;
  };
  return {
    params: {
      W_enc: transpose(get('W_enc', [d, n]), d, n),
      b_enc: get('b_enc', [n]),
      W_dec: get('W_dec', [n, d]),
      b_dec: get('b_dec', [d]),
    },
    record,
  };
}
