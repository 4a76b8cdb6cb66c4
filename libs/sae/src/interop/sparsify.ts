// sparsify 1.3.0 (commit 9d3b136c): SparseCoder.load_from_disk(dir) pops d_in from cfg.json, builds
// SparseCoderConfig.from_dict(rest, drop_extra_fields=True) and loads sae.safetensors into
// encoder.weight [n, d], encoder.bias [n], W_dec [n, d], b_dec [d] with strict keys (sparsify/sparse_coder.py);
// encode is topk(relu((x - b_dec) @ encoder.weight^T + encoder.bias)) (sparsify/fused_encoder.py),
// decode top_acts @ W_dec[top_indices] + b_dec. sparsify has no input normalisation, so the unit-L2
// convention is recorded in extra cfg.json keys (dropped by its loader) and is the caller's to apply.
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
  sparsifyHookpoint,
  type PortableSae,
} from './common.ts';

export const SPARSIFY_VERSION = '1.3.0';

export async function writeSparsify(out: string, sae: PortableSae): Promise<void> {
  const { d, n, k, params, origin } = sae;
  await mkdir(out, { recursive: true });
  // safetensors.torch.save_model writes metadata {"format": "pt"}; load_model does not need it.
  await writeSafetensors(
    join(out, 'sae.safetensors'),
    {
      'encoder.weight': f32(params.W_enc, [n, d]),
      'encoder.bias': f32(params.b_enc, [n]),
      W_dec: f32(params.W_dec, [n, d]),
      b_dec: f32(params.b_dec, [d]),
    },
    { format: 'pt' },
  );
  await writeJsonAtomic(join(out, 'cfg.json'), {
    activation: 'topk',
    expansion_factor: Math.max(1, Math.round(n / d)),
    normalize_decoder: true,
    num_latents: n,
    k,
    multi_topk: false,
    skip_connection: false,
    transcode: false,
    d_in: d,
    saetrace: {
      input: UNIT_L2_NOTE,
      model: origin.model ?? null,
      checkpoint: origin.checkpoint ?? null,
      layer: origin.layer ?? null,
      hookpoint: origin.layer === undefined ? null : sparsifyHookpoint(origin.layer),
      sparsify_version: SPARSIFY_VERSION,
    },
  });
}

export async function readSparsify(dir: string): Promise<PortableSae> {
  const cfgPath = join(dir, 'cfg.json');
  const cfg = await readJsonObject(cfgPath);
  if ((cfg.activation ?? 'topk') !== 'topk')
    throw new SaeFormatError(
      cfgPath,
      `activation is ${JSON.stringify(cfg.activation)}; saetrace analyses TopK SAEs only ("topk")`,
    );
  if (cfg.transcode === true)
    throw new SaeFormatError(cfgPath, 'transcode is true: a transcoder is not an autoencoder of one site');
  if (cfg.skip_connection === true)
    throw new SaeFormatError(cfgPath, 'skip_connection is true: saetrace SAEs have no W_skip');
  const d = positiveInt(cfgPath, cfg, 'd_in');
  const k = positiveInt(cfgPath, cfg, 'k');
  const num = cfg.num_latents;
  const n =
    typeof num === 'number' && num > 0
      ? positiveInt(cfgPath, cfg, 'num_latents')
      : d * positiveInt(cfgPath, { expansion_factor: cfg.expansion_factor ?? 32 }, 'expansion_factor');
  if (k > n) throw new SaeFormatError(cfgPath, `k (${k}) exceeds the ${n} latents`);
  const get = await readTensors(dir, 'sae.safetensors');
  const inner =
    typeof cfg.saetrace === 'object' && cfg.saetrace !== null ? (cfg.saetrace as Record<string, unknown>) : undefined;
  const model = optionalString(inner, 'model');
  const checkpoint = optionalString(inner, 'checkpoint');
  const hook = optionalString(inner, 'hookpoint');
  const layer = hook === undefined ? undefined : layerFromHook(hook);
  return {
    d,
    n,
    k,
    params: {
      W_enc: Float32Array.from(get('encoder.weight', [n, d])),
      b_enc: get('encoder.bias', [n]),
      W_dec: get('W_dec', [n, d]),
      b_dec: get('b_dec', [d]),
    },
    origin: {
      ...(model !== undefined && { model }),
      ...(checkpoint !== undefined && { checkpoint }),
      ...(layer !== undefined && { layer }),
    },
  };
}
