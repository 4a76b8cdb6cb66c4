/** A TopK SAE's shape and training recipe (SPEC section 3), recorded with every saved SAE. */
export interface SaeConfig {
  readonly d: number;
  readonly n: number;
  readonly k: number;
  readonly lr: number;
  /** Linear warm-up steps, then constant. */
  readonly warmupSteps: number;
  /** Tokens per step. */
  readonly batchSize: number;
  readonly seed: number;
  /** Parameter precision: fp32 (default) or bf16 (parameters rounded to bf16 after every update). */
  readonly precision: 'fp32' | 'bf16';
  /** AuxK loss on dead latents (off when coef is 0). */
  readonly auxK: { readonly k: number; readonly coef: number; readonly deadAfterTokens: number };
}

export const SAE_ADAM = { beta1: 0.9, beta2: 0.999, eps: 6.25e-10, weightDecay: 0 } as const;

export function saeConfig(partial: Partial<SaeConfig> & Pick<SaeConfig, 'd' | 'n' | 'k'>): SaeConfig {
  const c: SaeConfig = {
    lr: 1e-3, warmupSteps: 1000, batchSize: 32768, seed: 0, precision: 'fp32',
    auxK: { k: Math.min(256, partial.n), coef: 0, deadAfterTokens: 10_000_000 }, ...partial,
  };
  for (const key of ['d', 'n', 'k', 'batchSize'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new RangeError(`SAE config: ${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.k > c.n) throw new RangeError(`SAE config: k (${c.k}) exceeds n (${c.n})`);
  if (!Number.isInteger(c.auxK.k) || c.auxK.k < 1 || c.auxK.k > c.n) throw new RangeError(`SAE config: auxK.k must be an integer in [1, n], got ${c.auxK.k}`);
  if (!(c.auxK.coef >= 0)) throw new RangeError(`SAE config: auxK.coef must be >= 0, got ${c.auxK.coef}`);
  if (!(c.lr > 0)) throw new RangeError(`SAE config: lr must be positive, got ${c.lr}`);
  return c;
}
