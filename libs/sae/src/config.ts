/** A TopK SAE's shape and training recipe (../shared/SPEC.md section 3), recorded with every saved SAE. */
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

/** Float32 elements in one array (4 GiB, Node's cap on one buffer). */
export const MAX_SAE_ELEMENTS = 2 ** 30;

export const SAE_ADAM = { beta1: 0.9, beta2: 0.999, eps: 6.25e-10, weightDecay: 0 } as const;

export function saeConfig(partial: Partial<SaeConfig> & Pick<SaeConfig, 'd' | 'n' | 'k'>): SaeConfig {
  const c: SaeConfig = {
    lr: 1e-3,
    warmupSteps: 1000,
    batchSize: 32768,
    seed: 0,
    precision: 'fp32',
    auxK: { k: Math.min(256, partial.n), coef: 0, deadAfterTokens: 10_000_000 },
    ...partial,
  };
  for (const key of ['d', 'n', 'k', 'batchSize'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1)
      throw new RangeError(`SAE config: ${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.k > c.n) throw new RangeError(`SAE config: k (${c.k}) exceeds n (${c.n})`);
  // Each of these is one Float32Array (W_enc or W_dec, and a step's dense encoder output), which Node caps at
  // 4 GiB; the spec's schema bounds each field alone (tools/harness/src/schema.ts), this their products.
  for (const [what, x, y] of [
    ['n x d (sae.n against the model width)', c.n, c.d],
    ['batchSize x n (sae.batchSize x sae.n)', c.batchSize, c.n],
  ] as const) {
    if (x * y > MAX_SAE_ELEMENTS)
      throw new RangeError(
        `SAE config: ${what} = ${x} x ${y} = ${x * y} floats, ${((x * y * 4) / 2 ** 30).toFixed(1)} GiB in one array, over the limit of ${MAX_SAE_ELEMENTS} (4 GiB); lower sae.n or sae.batchSize in the spec`,
      );
  }
  if (!Number.isInteger(c.auxK.k) || c.auxK.k < 1 || c.auxK.k > c.n)
    throw new RangeError(`SAE config: auxK.k must be an integer in [1, n], got ${c.auxK.k}`);
  if (!(c.auxK.coef >= 0)) throw new RangeError(`SAE config: auxK.coef must be >= 0, got ${c.auxK.coef}`);
  if (!(c.lr > 0)) throw new RangeError(`SAE config: lr must be positive, got ${c.lr}`);
  return c;
}
