// The authors' llm-jp-sae (commit d9eb8c6): model.py's SparseAutoEncoder is a transformers PreTrainedModel
// whose config (config.py SaeConfig) has d_in, expansion_factor (num_latents = d_in * expansion_factor), k
// and torch_dtype; its parameters are encoder.weight [n, d], encoder.bias [n], W_dec [n, d], b_dec [d], and
// forward encodes topk(relu(encoder(x - b_dec))) and decodes acts @ W_dec + b_dec. Written the way
// save_pretrained lays a model out (config.json, model.safetensors). With transformers 5.18 the authors'
// from_pretrained reads the weights and then fails (model.py never calls post_init), so the loading checked
// in fixtures/interop/verify.py is SaeConfig.from_pretrained(dir) + load_state_dict of model.safetensors, the
// authors' own construct-then-load_state_dict path. train.py saves a pickled state dict (sae.pth): that is
// neither written nor read (interop/index.ts). The authors' normalize_activation "Scalar" is saetrace's unit L2 norm.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic, writeSafetensors } from '@saetrace/engine';
import {
  SaeFormatError,
  UNIT_L2_NOTE,
  f32,
  optionalString,
  positiveInt,
  readJsonObject,
  readTensors,
  type PortableSae,
} from './common.ts';

export const LLMJP_SAE_COMMIT = 'd9eb8c6';

export async function writeLlmJp(out: string, sae: PortableSae): Promise<void> {
  const { d, n, k, params, origin } = sae;
  if (n % d !== 0)
    throw new SaeFormatError(
      join(out, 'config.json'),
      `llm-jp-sae sizes an SAE as d_in * expansion_factor; ${n} latents is not a multiple of d_in ${d}`,
    );
  await mkdir(out, { recursive: true });
  await writeSafetensors(
    join(out, 'model.safetensors'),
    {
      'encoder.weight': f32(params.W_enc, [n, d]),
      'encoder.bias': f32(params.b_enc, [n]),
      W_dec: f32(params.W_dec, [n, d]),
      b_dec: f32(params.b_dec, [d]),
    },
    { format: 'pt' },
  );
  await writeJsonAtomic(join(out, 'config.json'), {
    architectures: ['SparseAutoEncoder'],
    d_in: d,
    expansion_factor: n / d,
    k,
    torch_dtype: 'float32',
    normalization: 'Scalar',
    saetrace: {
      input: UNIT_L2_NOTE,
      model: origin.model ?? null,
      checkpoint: origin.checkpoint ?? null,
      layer: origin.layer ?? null,
      llm_jp_sae_commit: LLMJP_SAE_COMMIT,
    },
  });
}

export async function readLlmJp(dir: string): Promise<PortableSae> {
  const cfgPath = join(dir, 'config.json');
  const cfg = await readJsonObject(cfgPath);
  const d = positiveInt(cfgPath, cfg, 'd_in');
  const n = d * positiveInt(cfgPath, cfg, 'expansion_factor');
  const k = positiveInt(cfgPath, cfg, 'k');
  if (k > n) throw new SaeFormatError(cfgPath, `k (${k}) exceeds the ${n} latents`);
  const nl = cfg.normalization;
  if (nl !== undefined && nl !== 'Scalar')
    throw new SaeFormatError(
      cfgPath,
      `normalization is ${JSON.stringify(nl)}; saetrace feeds unit-L2-norm inputs (the authors' "Scalar")`,
    );
  const get = await readTensors(dir, 'model.safetensors');
  const inner =
    typeof cfg.saetrace === 'object' && cfg.saetrace !== null ? (cfg.saetrace as Record<string, unknown>) : undefined;
  const model = optionalString(inner, 'model');
  const checkpoint = optionalString(inner, 'checkpoint');
  const layer = inner?.layer;
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
      ...(typeof layer === 'number' && Number.isInteger(layer) && layer >= 0 && { layer }),
    },
  };
}
