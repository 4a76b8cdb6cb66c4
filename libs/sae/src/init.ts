import { runRng } from '@saetrace/engine';
import { geometricMedian } from './geometric-median.ts';
import type { SaeParamName } from './step-graph.ts';

export type SaeParams = Record<SaeParamName, Float32Array>;

/**
 * Names the init below; part of every trained-SAE cache key, so an SAE cached under another init is never
 * reused (keys before it had no init field: their SAEs had unit-norm encoder rows equal to the decoder's).
 */
export const SAE_INIT = 'linear-default-v2';

/**
 * ../shared/SPEC.md section 3 init, as the authors' llm-jp-sae model.py (commit d9eb8c6) does it: the encoder keeps
 * nn.Linear's default weights, uniform in +-1/sqrt(d) (rows of norm ~sqrt(1/3)), b_enc = 0; W_dec is a copy of
 * W_enc with each latent's row scaled to unit norm; b_dec = geometric median of the first batch.
 * Both are stored as rows [n, d], the orientation of their `encoder.weight` and `W_dec`.
 */
export function initSae(d: number, n: number, seed: number, firstBatch: Float32Array, rows: number): SaeParams {
  const rng = runRng(seed).stream('sae-init');
  const bound = 1 / Math.sqrt(d);
  const W_enc = new Float32Array(n * d);
  for (let i = 0; i < W_enc.length; i++) W_enc[i] = (2 * rng.next() - 1) * bound;
  const W_dec = Float32Array.from(W_enc);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (W_dec[j * d + i] as number) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < d; i++) W_dec[j * d + i] = (W_dec[j * d + i] as number) * inv;
  }
  return { W_enc, b_enc: new Float32Array(n), W_dec, b_dec: geometricMedian(firstBatch, rows, d).median };
}

/** Rounds to the nearest bfloat16 (ties to even), in place: the bf16 training option. */
export function roundToBf16(a: Float32Array): Float32Array {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i] as number;
    if ((x & 0x7f800000) === 0x7f800000) continue; // inf / NaN unchanged
    u[i] = ((x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000) >>> 0;
  }
  return a;
}
