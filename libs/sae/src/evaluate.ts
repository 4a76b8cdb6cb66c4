import type { SaeEncoder } from './encoder.ts';

export interface SaeEval {
  /** Mean over tokens of |x_hat - x|^2. */
  readonly mse: number;
  /** Squared error over total variance around the mean (fraction of variance unexplained). */
  readonly fvu: number;
  /** Mean number of non-zero latents per token (at most k). */
  readonly l0: number;
  /** Latents that never fire on this data, as a fraction of n. */
  readonly deadFraction: number;
  readonly tokens: number;
}

/** Reconstruction quality and sparsity of an SAE on held-out batches [rows*d]. */
export async function evaluateSae(
  enc: SaeEncoder,
  batches: AsyncIterable<Float32Array> | Iterable<Float32Array>,
): Promise<SaeEval> {
  const { d, n, k } = enc;
  const fired = new Uint8Array(n);
  let sq = 0;
  let tokens = 0;
  let nz = 0;
  const sum = new Float64Array(d);
  const sumSq = new Float64Array(d);
  const rowsCache = new Map<number, Float32Array>();
  for await (const x of batches) {
    const rows = x.length / d;
    const codes = await enc.encode(x, rows);
    for (let r = 0; r < rows; r++) {
      const xh = Float64Array.from(enc.bDec);
      for (let j = 0; j < k; j++) {
        const z = codes.values[r * k + j] as number;
        if (z <= 0) continue;
        const f = codes.indices[r * k + j] as number;
        nz++;
        fired[f] = 1;
        let w = rowsCache.get(f);
        if (!w) {
          w = enc.decoderRow(f);
          rowsCache.set(f, w);
        }
        for (let i = 0; i < d; i++) xh[i] = (xh[i] as number) + z * (w[i] as number);
      }
      for (let i = 0; i < d; i++) {
        const xi = x[r * d + i] as number;
        sq += ((xh[i] as number) - xi) ** 2;
        sum[i] = (sum[i] as number) + xi;
        sumSq[i] = (sumSq[i] as number) + xi * xi;
      }
    }
    tokens += rows;
  }
  let variance = 0;
  for (let i = 0; i < d; i++) variance += (sumSq[i] as number) - (sum[i] as number) ** 2 / tokens;
  const alive = fired.reduce((a, b) => a + b, 0);
  return { mse: sq / tokens, fvu: sq / variance, l0: nz / tokens, deadFraction: (n - alive) / n, tokens };
}
