import { runRng } from '@saetrace/engine';
import { geometricMedian } from './geometric-median.ts';
import type { SaeParamName } from './step-graph.ts';

export type SaeParams = Record<SaeParamName, Float32Array>;

/**
 * SPEC init: decoder directions random and unit-norm, W_enc = W_dec^T (stored here as the same rows),
 * b_enc = 0, b_dec = geometric median of the first batch.
 */
export function initSae(d: number, n: number, seed: number, firstBatch: Float32Array, rows: number): SaeParams {
  const rng = runRng(seed).stream('sae-init');
  const W_dec = rng.normalArray(n * d);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (W_dec[j * d + i] as number) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < d; i++) W_dec[j * d + i] = (W_dec[j * d + i] as number) * inv;
  }
  return { W_enc: Float32Array.from(W_dec), b_enc: new Float32Array(n), W_dec, b_dec: geometricMedian(firstBatch, rows, d).median };
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
