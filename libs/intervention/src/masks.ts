import { runRng } from '@saetrace/engine';
import type { FeatureClass } from '@saetrace/metrics';

export type { FeatureClass };

export interface FeatureMask {
  readonly cls: FeatureClass;
  readonly draw: number;
  readonly features: readonly number[];
  /** Features of the class available to draw from; when fewer than asked, all are taken. */
  readonly available: number;
}

/**
 * `draws` masks of `count` features each, drawn without replacement from the features of class `cls`,
 * each draw from its own named RNG stream (so adding draws never changes earlier ones).
 */
export function drawMasks(
  classes: readonly FeatureClass[],
  cls: Exclude<FeatureClass, 'dead'>,
  count: number,
  draws: number,
  seed: number | string,
): FeatureMask[] {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`drawMasks: count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(draws) || draws < 1)
    throw new RangeError(`drawMasks: draws must be a positive integer, got ${draws}`);
  const pool: number[] = [];
  classes.forEach((c, i) => {
    if (c === cls) pool.push(i);
  });
  const out: FeatureMask[] = [];
  for (let k = 0; k < draws; k++) {
    const rng = runRng(seed).stream(`mask/${cls}/${count}/${k}`);
    const take = Math.min(count, pool.length);
    const features = rng
      .sample(pool.length, take)
      .map((i) => pool[i] as number)
      .sort((a, b) => a - b);
    out.push({ cls, draw: k, features, available: pool.length });
  }
  return out;
}
