import type { TopKCodes } from './encoder.ts';

/**
 * Decodes only the selected features, without b_dec (the intervention's Eq. 7 term): for each row,
 * the sum of z_j * W_dec[j] over the row's active latents j with mask[j] set. W_dec is [n*d] row-major.
 */
export function decodeMasked(
  codes: TopKCodes,
  W_dec: Float32Array,
  d: number,
  mask: Uint8Array | readonly boolean[],
): Float32Array {
  const n = W_dec.length / d;
  if (!Number.isInteger(n) || mask.length !== n)
    throw new RangeError(`decodeMasked: mask has ${mask.length} entries, W_dec has ${n} rows of ${d}`);
  const { rows, k, values, indices } = codes;
  const out = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      const f = indices[r * k + j] as number;
      const z = values[r * k + j] as number;
      if (z === 0 || !mask[f]) continue;
      for (let i = 0; i < d; i++) out[r * d + i] = (out[r * d + i] as number) + z * (W_dec[f * d + i] as number);
    }
  }
  return out;
}
