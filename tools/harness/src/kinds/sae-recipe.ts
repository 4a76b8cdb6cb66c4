import { saeConfig, type SaeConfig } from '@saetrace/sae';
import type { ProfileSpec } from '../spec.ts';

/** The SAE a profile trains on activations of width d: one definition for every kind (its fields key the cache). */
export function profileSaeConfig(p: ProfileSpec, d: number): SaeConfig {
  return saeConfig({
    d,
    n: p.sae.n,
    k: p.sae.k,
    lr: p.sae.lr,
    warmupSteps: p.sae.warmupSteps,
    batchSize: p.sae.batchSize,
    seed: p.seed,
    precision: p.sae.precision ?? 'fp32',
  });
}
