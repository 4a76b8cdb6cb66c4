// SAELens 6.18.0 (commit 91ca16cc): SAE.load_from_disk(dir) reads cfg.json and sae_weights.safetensors
// (sae_lens/constants.py), picks the class by cfg "architecture" (sae_lens/saes/sae.py) and for "topk"
// encodes TopK(((x' - b_dec) @ W_enc + b_enc)) with W_enc [d_in, d_sae], decodes f @ W_dec + b_dec
// (sae_lens/saes/topk_sae.py), where x' is x after normalize_activations.
//
// saetrace's SAE reads unit-norm x. SAELens's "constant_norm_rescale" rescales every token to norm sqrt(d_in)
// and scales the output back, so with the weights folded by s = sqrt(d_in) (W_enc / s, W_dec * s,
// b_dec * s) SAELens computes exactly saetrace's codes from raw residuals and returns the reconstruction at
// the input's own norm: the convention travels in the config rather than only in a note.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic, writeSafetensors } from '@saetrace/engine';
import {
  SaeFormatError,
  UNIT_L2_NOTE,
  f32,
  layerFromHook,
  optionalString,
  positiveInt,
  readJsonObject,
  readTensors,
  scaled,
  transformerLensHook,
  transpose,
  type PortableSae,
} from './common.ts';

export const SAELENS_VERSION = '6.18.0';

export async function writeSaeLens(out: string, sae: PortableSae): Promise<void> {
  const { d, n, k, params, origin } = sae;
  const s = Math.sqrt(d);
  await mkdir(out, { recursive: true });
  await writeSafetensors(join(out, 'sae_weights.safetensors'), {
    W_enc: f32(scaled(transpose(params.W_enc, n, d), 1 / s), [d, n]),
    b_enc: f32(params.b_enc, [n]),
    W_dec: f32(scaled(params.W_dec, s), [n, d]),
    b_dec: f32(scaled(params.b_dec, s), [d]),
  });
  const metadata: Record<string, unknown> = {
    sae_lens_version: SAELENS_VERSION,
    sae_lens_training_version: null,
    prepend_bos: true,
    context_size: 64,
  };
  if (origin.model !== undefined) metadata.model_name = origin.model;
  if (origin.layer !== undefined) metadata.hook_name = transformerLensHook(origin.layer);
  metadata.saetrace = {
    input: UNIT_L2_NOTE,
    checkpoint: origin.checkpoint ?? null,
    layer: origin.layer ?? null,
    weights_folded_by: 'sqrt(d_in) for constant_norm_rescale',
  };
  await writeJsonAtomic(join(out, 'cfg.json'), {
    architecture: 'topk',
    d_in: d,
    d_sae: n,
    k,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: true,
    normalize_activations: 'constant_norm_rescale',
    reshape_activations: 'none',
    rescale_acts_by_decoder_norm: false,
    metadata,
  });
}

export interface SaeLensReadOptions {
  /** Accept normalize_activations "none": the caller asserts the SAE was trained on unit-norm inputs. */
  readonly assumeUnitNorm?: boolean;
}

export async function readSaeLens(dir: string, options: SaeLensReadOptions = {}): Promise<PortableSae> {
  const cfgPath = join(dir, 'cfg.json');
  const cfg = await readJsonObject(cfgPath);
  if (cfg.architecture !== 'topk')
    throw new SaeFormatError(
      cfgPath,
      `architecture is ${JSON.stringify(cfg.architecture)}; saetrace analyses TopK SAEs only ("topk")`,
    );
  const d = positiveInt(cfgPath, cfg, 'd_in');
  const n = positiveInt(cfgPath, cfg, 'd_sae');
  const k = positiveInt(cfgPath, cfg, 'k');
  if (k > n) throw new SaeFormatError(cfgPath, `k (${k}) exceeds d_sae (${n})`);
  if (cfg.apply_b_dec_to_input === false)
    throw new SaeFormatError(
      cfgPath,
      'apply_b_dec_to_input is false; saetrace subtracts b_dec before encoding (../shared/SPEC.md section 3)',
    );
  if (cfg.rescale_acts_by_decoder_norm === true)
    throw new SaeFormatError(
      cfgPath,
      'rescale_acts_by_decoder_norm is true; saetrace selects the top k of the raw pre-activations',
    );
  if ((cfg.reshape_activations ?? 'none') !== 'none')
    throw new SaeFormatError(
      cfgPath,
      `reshape_activations is ${JSON.stringify(cfg.reshape_activations)}; only residual-stream SAEs ("none") are supported`,
    );
  const norm = cfg.normalize_activations ?? 'none';
  let s: number;
  if (norm === 'constant_norm_rescale') s = Math.sqrt(d);
  else if (norm === 'none' && options.assumeUnitNorm) s = 1;
  else if (norm === 'none')
    throw new SaeFormatError(
      cfgPath,
      `normalize_activations is "none": this SAE may read raw activations, but saetrace feeds unit-L2-norm ones. Pass --assume-unit-norm if it was trained on unit-norm inputs`,
    );
  else
    throw new SaeFormatError(
      cfgPath,
      `normalize_activations ${JSON.stringify(norm)} has no saetrace equivalent (supported: constant_norm_rescale, or none with --assume-unit-norm)`,
    );
  const get = await readTensors(dir, 'sae_weights.safetensors');
  const meta =
    typeof cfg.metadata === 'object' && cfg.metadata !== null ? (cfg.metadata as Record<string, unknown>) : undefined;
  const hook = optionalString(meta, 'hook_name');
  const layer = hook === undefined ? undefined : layerFromHook(hook);
  const model = optionalString(meta, 'model_name');
  const inner =
    typeof meta?.saetrace === 'object' && meta.saetrace !== null
      ? (meta.saetrace as Record<string, unknown>)
      : undefined;
  const checkpoint = optionalString(inner, 'checkpoint');
  return {
    d,
    n,
    k,
    params: {
      W_enc: scaled(transpose(get('W_enc', [d, n]), d, n), s),
      b_enc: get('b_enc', [n]),
      W_dec: scaled(get('W_dec', [n, d]), 1 / s),
      b_dec: scaled(get('b_dec', [d]), 1 / s),
    },
    origin: {
      ...(model !== undefined && { model }),
      ...(checkpoint !== undefined && { checkpoint }),
      ...(layer !== undefined && { layer }),
    },
  };
}
