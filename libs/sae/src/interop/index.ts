import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { saeConfig } from '../config.ts';
import { loadSae, saveSae, SAETRACE_VERSION, type SaeRecord } from '../io.ts';
import {
  SAE_FORMATS,
  SaeFormatError,
  readJsonObject,
  type PortableSae,
  type SaeFormat,
  type SaeOrigin,
} from './common.ts';
import { readLlmJp, writeLlmJp, LLMJP_SAE_COMMIT } from './llmjp.ts';
import { readSaeLens, writeSaeLens, SAELENS_VERSION } from './saelens.ts';
import { readSparsify, writeSparsify, SPARSIFY_VERSION } from './sparsify.ts';

export {
  SAE_FORMATS,
  SaeFormatError,
  transformerLensHook,
  sparsifyHookpoint,
  layerFromHook,
  type SaeFormat,
  type PortableSae,
  type SaeOrigin,
} from './common.ts';
export { SAELENS_VERSION, SPARSIFY_VERSION, LLMJP_SAE_COMMIT };

/** The library and version each format is written for. */
export const FORMAT_TARGET: Readonly<Record<SaeFormat, string>> = {
  saelens: `SAELens ${SAELENS_VERSION} SAE.load_from_disk`,
  sparsify: `sparsify ${SPARSIFY_VERSION} SparseCoder.load_from_disk`,
  llmjp: `llm-jp-sae ${LLMJP_SAE_COMMIT} SparseAutoEncoder.from_pretrained`,
};

export function isSaeFormat(x: string): x is SaeFormat {
  return (SAE_FORMATS as readonly string[]).includes(x);
}

/** Writes a PortableSae in one format. */
export async function writeSaeFormat(out: string, format: SaeFormat, sae: PortableSae): Promise<void> {
  if (format === 'saelens') return writeSaeLens(out, sae);
  if (format === 'sparsify') return writeSparsify(out, sae);
  return writeLlmJp(out, sae);
}

/** Exports an SAE saved by saveSae (a dir with cfg.json + sae.safetensors) in another library's format. */
export async function exportSae(dir: string, format: SaeFormat, out: string): Promise<void> {
  const { params, record } = await loadSae(dir);
  const { d, n, k } = record.config;
  await writeSaeFormat(out, format, {
    params,
    d,
    n,
    k,
    origin: { model: record.model, checkpoint: record.checkpoint, layer: record.layer },
  });
}

const PICKLE = /\.(pth|pt|bin|ckpt)$/;

/**
 * Which format a directory holds, from its file names and cfg keys; reads nothing but JSON. Pickled torch
 * files are refused: unpickling runs code, and saetrace has no restricted unpickler.
 */
export async function detectSaeFormat(dir: string): Promise<SaeFormat | 'saetrace'> {
  if (!existsSync(dir)) throw new SaeFormatError(dir, 'no such directory');
  const files = new Set(readdirSync(dir));
  const has = (f: string): boolean => files.has(f);
  if (has('sae_weights.safetensors') && has('cfg.json')) return 'saelens';
  if (has('model.safetensors') && has('config.json')) return 'llmjp';
  if (has('sae.safetensors') && has('cfg.json')) {
    const cfg = await readJsonObject(join(dir, 'cfg.json'));
    return 'saetraceVersion' in cfg && 'config' in cfg ? 'saetrace' : 'sparsify';
  }
  const pickled = [...files].filter((f) => PICKLE.test(f));
  if (pickled.length > 0) {
    throw new SaeFormatError(
      join(dir, pickled[0] as string),
      'a pickled torch file: saetrace does not unpickle (it can run code). Convert it in Python with ' +
        '`safetensors.torch.save_file(torch.load(path, weights_only=True), "model.safetensors")` beside a config.json (llm-jp-sae) or cfg.json (sparsify), then import again',
    );
  }
  throw new SaeFormatError(
    dir,
    'no SAE found: expected cfg.json + sae_weights.safetensors (SAELens), cfg.json + sae.safetensors (sparsify), or config.json + model.safetensors (llm-jp-sae)',
  );
}

export interface ImportOptions {
  /** Format; detected from the files when absent. */
  readonly format?: SaeFormat;
  /** SAELens normalize_activations "none": the caller asserts the SAE read unit-norm inputs. */
  readonly assumeUnitNorm?: boolean;
  /** Fill or override what the source does not record. */
  readonly origin?: SaeOrigin;
}

/** Reads another library's SAE and saves it as saetrace's own (saveSae), so every analysis can load it. */
export async function importSae(dir: string, out: string, options: ImportOptions = {}): Promise<SaeRecord> {
  const format = options.format ?? (await detectSaeFormat(dir));
  if (format === 'saetrace')
    throw new SaeFormatError(dir, 'already a saetrace SAE (cfg.json has saetraceVersion); nothing to import');
  const sae =
    format === 'saelens'
      ? await readSaeLens(dir, { assumeUnitNorm: options.assumeUnitNorm ?? false })
      : format === 'sparsify'
        ? await readSparsify(dir)
        : await readLlmJp(dir);
  const origin = { ...sae.origin, ...options.origin };
  if (origin.layer === undefined)
    throw new SaeFormatError(
      dir,
      'the activation site is not recorded; pass --layer (../shared/SPEC.md section 2: hidden_states[layer])',
    );
  const record: SaeRecord = {
    config: saeConfig({ d: sae.d, n: sae.n, k: sae.k }),
    normalisation: 'unit-l2',
    hookSite: 'resid_post',
    model: origin.model ?? 'unknown',
    checkpoint: origin.checkpoint ?? 'unknown',
    layer: origin.layer,
    saetraceVersion: SAETRACE_VERSION,
    imported: { format, from: dir, reader: FORMAT_TARGET[format] },
  };
  await saveSae(out, sae.params, record);
  return record;
}
