import { runRng } from '@saetrace/engine';
import { FAMILY_PROFILES, initLlamaWeights, LlamaModel, memberConfig, midSite, type LlamaConfig } from '@saetrace/lm';
import { SaeEncoder } from '@saetrace/sae';

/** What the intervention micro-benchmarks run on: two random models of one config, an SAE and a mask. */
export interface InterventionBenchSetup {
  readonly config: LlamaConfig;
  readonly mid: LlamaModel;
  readonly full: LlamaModel;
  readonly layer: number;
  readonly d: number;
  readonly n: number;
  readonly k: number;
  readonly sae: SaeEncoder;
  readonly mask: ReadonlySet<number>;
}

/**
 * The default family's largest size with random weights (a mid-training and a "full" model), at the middle
 * block, with an SAE of Table 4's default shape (n 1536, k 16) and 250 masked features.
 */
export async function largestMemberSetup(threads: number): Promise<InterventionBenchSetup> {
  const profile = FAMILY_PROFILES.default;
  const member = profile.members.at(-1);
  if (!member) throw new Error('the default family has no members');
  const config = memberConfig(profile, member, profile.vocabSize);
  const mid = new LlamaModel(config, initLlamaWeights(config, runRng(0).stream('mid')), null, 'mid', { threads });
  const full = new LlamaModel(config, initLlamaWeights(config, runRng(0).stream('full')), null, 'full', { threads });
  const d = config.hiddenSize;
  const n = 1536;
  const k = 16;
  const srng = runRng(0).stream('sae');
  const sae = await SaeEncoder.create(
    {
      W_enc: srng.normalArray(n * d, 1 / Math.sqrt(d)),
      b_enc: new Float32Array(n),
      b_dec: new Float32Array(d),
      W_dec: srng.normalArray(n * d, 1 / Math.sqrt(d)),
    },
    d,
    n,
    k,
    { threads },
  );
  return {
    config,
    mid,
    full,
    layer: midSite(config.numLayers),
    d,
    n,
    k,
    sae,
    mask: new Set(Array.from({ length: 250 }, (_, i) => (i * 7) % n)),
  };
}
