import { runRng } from '@saetrace/engine';
import { cosine } from './entropy.ts';

/** The cosine cut of semantic entropy: the paper's fixed value, or a quantile of random token pairs' cosines. */
export type CosineCut = number | { readonly randomPairQuantile: number };

/**
 * Cosines of `samples` random pairs of distinct rows of an embedding matrix [rows, dim], seeded, in ascending
 * order. A fixed cut means different things on different embeddings (0.1 is exceeded by most random pairs of a
 * small model's anisotropic embeddings); a quantile of this distribution means the same on any.
 */
export function randomPairCosines(
  embeddings: Float32Array,
  dim: number,
  samples = 20000,
  seed = 'cosine-cut',
  tokens?: ArrayLike<number>,
): number[] {
  const rows = Math.floor(embeddings.length / dim);
  if (!Number.isInteger(dim) || dim < 1 || rows < 2)
    throw new RangeError(
      `randomPairCosines: need at least 2 rows of dimension ${dim}, got ${embeddings.length} values`,
    );
  if (!Number.isInteger(samples) || samples < 1)
    throw new RangeError(`randomPairCosines: samples must be a positive integer, got ${samples}`);
  for (let i = 0; tokens && i < tokens.length; i++) {
    const t = tokens[i] as number;
    if (!Number.isInteger(t) || t < 0 || t >= rows)
      throw new RangeError(`randomPairCosines: tokens[${i}] = ${t} is not a row of the ${rows}-row matrix`);
  }
  if (tokens && new Set(Array.from(tokens)).size < 2)
    throw new RangeError('randomPairCosines: tokens must hold at least two distinct ids');
  const rng = runRng(seed).stream('pairs');
  // Rows uniformly, or (given `tokens`, e.g. every token of an evaluation text) as often as they occur: the
  // pairs semantic entropy compares, not the vocabulary's never-seen rows.
  const draw = tokens ? () => tokens[rng.int(tokens.length)] as number : () => rng.int(rows);
  const out = new Array<number>(samples);
  for (let s = 0; s < samples; s++) {
    const a = draw();
    let b = draw();
    while (b === a) b = draw();
    out[s] = cosine(embeddings, dim, a, b);
  }
  return out.sort((x, y) => x - y);
}

/** The q-quantile (nearest rank) of ascending values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  if (sorted.length === 0) throw new RangeError('quantile: no values');
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** The share of values above `cut` (what a fixed cut means on these embeddings). */
export function shareAbove(sorted: readonly number[], cut: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= cut) lo = mid + 1;
    else hi = mid;
  }
  return (sorted.length - lo) / Math.max(1, sorted.length);
}

/** The numeric cut for these embeddings: a number as it is, a quantile resolved on random pairs. */
export function resolveCosineCut(
  cut: CosineCut,
  embeddings: Float32Array,
  dim: number,
  tokens?: ArrayLike<number>,
): number {
  if (typeof cut === 'number') return cut;
  return quantile(randomPairCosines(embeddings, dim, 20000, 'cosine-cut', tokens), cut.randomPairQuantile);
}
