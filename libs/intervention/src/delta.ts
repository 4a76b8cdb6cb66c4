import type { InjectionVariant, SaeCodec, TopKCodes } from './types.ts';
import { DEFAULT_VARIANT } from './types.ts';

/**
 * The half of Eq. 7 that depends on neither the mask nor alpha: each row's |h_full| and the SAE's top-k
 * codes of h_full / |h_full|. Computed once per rows, it can be decoded under any number of masks.
 */
export interface EncodedRows {
  readonly rows: number;
  /** |h_full| per row (float32, as the rescale has always read it). */
  readonly norms: Float32Array;
  readonly codes: TopKCodes;
}

/**
 * Encode step of injectionDelta: normalise each row to unit length (as in SAE training), then the SAE encoder;
 * with `among`, TopK is taken among those features only (InjectionVariant.maskBeforeTopK).
 */
export async function encodeRows(
  hFull: Float32Array,
  rows: number,
  sae: SaeCodec,
  among?: ReadonlySet<number>,
): Promise<EncodedRows> {
  const d = sae.d;
  if (hFull.length !== rows * d)
    throw new RangeError(`encodeRows: hFull has ${hFull.length} values, expected rows*d = ${rows * d}`);
  const norms = new Float32Array(rows);
  const x = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (hFull[r * d + i] as number) ** 2;
    const nrm = Math.sqrt(s);
    norms[r] = nrm;
    const inv = nrm > 0 ? 1 / nrm : 0;
    for (let i = 0; i < d; i++) x[r * d + i] = (hFull[r * d + i] as number) * inv;
  }
  const codes = among ? await sae.encodeAmong(x, rows, among) : await sae.encode(x, rows);
  if (codes.rows !== rows || codes.values.length !== rows * codes.k || codes.indices.length !== rows * codes.k) {
    throw new Error(
      `encodeRows: the SAE returned codes for ${codes.rows} rows (${codes.values.length} values) for ${rows} rows of k ${codes.k}`,
    );
  }
  return { rows, norms, codes };
}

/**
 * Decode step of injectionDelta: only features in `mask` are decoded, b_dec is added only when the
 * variant says so, the result is scaled back by |h_full| (variant.rescale) and by alpha. An empty mask
 * (without b_dec) or alpha = 0 gives zeros.
 */
export function decodeDelta(
  enc: EncodedRows,
  sae: SaeCodec,
  mask: ReadonlySet<number>,
  alpha: number,
  variant: InjectionVariant = DEFAULT_VARIANT,
): Float32Array {
  const d = sae.d;
  const { rows, norms, codes } = enc;
  if (norms.length !== rows) throw new RangeError(`decodeDelta: enc has ${norms.length} norms for ${rows} rows`);
  const delta = new Float32Array(rows * d);
  if (alpha === 0 || (mask.size === 0 && !variant.includeBias)) return delta;
  const rowCache = new Map<number, Float32Array>();
  for (let r = 0; r < rows; r++) {
    const out = delta.subarray(r * d, (r + 1) * d);
    for (let j = 0; j < codes.k; j++) {
      const f = codes.indices[r * codes.k + j] as number;
      const z = codes.values[r * codes.k + j] as number;
      if (z === 0 || !mask.has(f)) continue;
      let w = rowCache.get(f);
      if (!w) {
        w = sae.decoderRow(f);
        rowCache.set(f, w);
      }
      for (let i = 0; i < d; i++) out[i] = (out[i] as number) + z * (w[i] as number);
    }
    if (variant.includeBias) for (let i = 0; i < d; i++) out[i] = (out[i] as number) + (sae.bDec[i] as number);
    let unit = 1;
    if (variant.unitDecode) {
      let ss = 0;
      for (let i = 0; i < d; i++) ss += (out[i] as number) ** 2;
      unit = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    }
    const s = alpha * (variant.rescale ? (norms[r] as number) : 1) * unit;
    for (let i = 0; i < d; i++) out[i] = (out[i] as number) * s;
  }
  return delta;
}

/**
 * Eq. 7's added term for every row: alpha * D_m(E(h_full)), i.e. decodeDelta(encodeRows(h_full)). When
 * the result is zeros anyway (alpha 0, or an empty mask without b_dec) the encoder is not run.
 */
export async function injectionDelta(
  hFull: Float32Array,
  rows: number,
  sae: SaeCodec,
  mask: ReadonlySet<number>,
  alpha: number,
  variant: InjectionVariant = DEFAULT_VARIANT,
): Promise<Float32Array> {
  const d = sae.d;
  if (hFull.length !== rows * d)
    throw new RangeError(`injectionDelta: hFull has ${hFull.length} values, expected rows*d = ${rows * d}`);
  if (alpha === 0 || (mask.size === 0 && !variant.includeBias)) return new Float32Array(rows * d);
  const among = variant.maskBeforeTopK ? mask : undefined;
  return decodeDelta(await encodeRows(hFull, rows, sae, among), sae, mask, alpha, variant);
}

/**
 * injectionDelta for a batch of right-padded windows, as greedy generation feeds them: hFull
 * [batch*seqLen*d], of which row b's first lengths[b] positions are real. Only those are encoded, in one
 * call; pads get zeros. Under causal attention a pad's delta reaches only later pads, never a position
 * that is read, and each row's delta is that of its window alone (the SAE codes rows independently).
 */
export async function windowInjectionDelta(
  hFull: Float32Array,
  batch: number,
  seqLen: number,
  lengths: readonly number[],
  sae: SaeCodec,
  mask: ReadonlySet<number>,
  alpha: number,
  variant: InjectionVariant = DEFAULT_VARIANT,
): Promise<Float32Array> {
  const d = sae.d;
  if (lengths.length !== batch)
    throw new RangeError(`windowInjectionDelta: lengths has ${lengths.length} entries for batch ${batch}`);
  if (hFull.length !== batch * seqLen * d)
    throw new RangeError(
      `windowInjectionDelta: hFull has ${hFull.length} values, expected batch*seqLen*d = ${batch * seqLen * d}`,
    );
  let real = 0;
  for (const [b, len] of lengths.entries()) {
    if (!Number.isInteger(len) || len < 0 || len > seqLen)
      throw new RangeError(`windowInjectionDelta: lengths[${b}] = ${len} is not in [0, ${seqLen}]`);
    real += len;
  }
  const packed = new Float32Array(real * d);
  let at = 0;
  for (const [b, len] of lengths.entries()) {
    packed.set(hFull.subarray(b * seqLen * d, (b * seqLen + len) * d), at);
    at += len * d;
  }
  const part = await injectionDelta(packed, real, sae, mask, alpha, variant);
  const delta = new Float32Array(batch * seqLen * d);
  at = 0;
  for (const [b, len] of lengths.entries()) {
    delta.set(part.subarray(at, at + len * d), b * seqLen * d);
    at += len * d;
  }
  return delta;
}
