import type { HostTensor } from '@saetrace/engine';

/**
 * A decoding cache on the host: per block, every row's keys and values so far ([rows, KV, 1, past, hd],
 * as the graphs return them), which of those positions are real (a right-padded prompt leaves holes
 * after its end), and each row's next position.
 */
export interface KvCache {
  readonly rows: number;
  readonly past: number;
  readonly k: readonly HostTensor[];
  readonly v: readonly HostTensor[];
  /** 1 where row r's cached position j is a real token: [rows*past]. */
  readonly valid: Uint8Array;
  /** The absolute position of each row's next token. */
  readonly positions: readonly number[];
}

/** The cache after a prefill of right-padded rows: positions at or after a row's length are pads. */
export function cacheFromPrefill(
  k: readonly HostTensor[],
  v: readonly HostTensor[],
  lengths: readonly number[],
  width: number,
): KvCache {
  const rows = lengths.length;
  const valid = new Uint8Array(rows * width);
  for (const [r, len] of lengths.entries()) {
    if (!Number.isInteger(len) || len < 1 || len > width)
      throw new RangeError(`cacheFromPrefill: lengths[${r}] = ${len} is not in [1, ${width}]`);
    valid.fill(1, r * width, r * width + len);
  }
  return { rows, past: width, k, v, valid, positions: [...lengths] };
}

/** The additive attention mask of a step: each row's past (0 real, -1e9 pad) then the new token (0), [rows*(past+1)]. */
export function stepMask(c: KvCache): Float32Array {
  const w = c.past + 1;
  const m = new Float32Array(c.rows * w);
  for (let r = 0; r < c.rows; r++) {
    for (let j = 0; j < c.past; j++) if (!c.valid[r * c.past + j]) m[r * w + j] = -1e9;
  }
  return m;
}

/** The cache after a step: the graphs' present keys and values, every row's new position real, positions + 1. */
export function cacheAfterStep(c: KvCache, k: readonly HostTensor[], v: readonly HostTensor[]): KvCache {
  const w = c.past + 1;
  const valid = new Uint8Array(c.rows * w);
  for (let r = 0; r < c.rows; r++) {
    valid.set(c.valid.subarray(r * c.past, (r + 1) * c.past), r * w);
    valid[r * w + c.past] = 1;
  }
  return { rows: c.rows, past: w, k, v, valid, positions: c.positions.map((p) => p + 1) };
}

/** The cache of a subset of its rows, in the order given (indices into the current rows). */
export function keepRows(c: KvCache, keep: readonly number[]): KvCache {
  for (const r of keep)
    if (!Number.isInteger(r) || r < 0 || r >= c.rows)
      throw new RangeError(`keepRows: row ${r} is not in [0, ${c.rows})`);
  if (keep.length === c.rows && keep.every((r, i) => r === i)) return c;
  const pick = (t: HostTensor): HostTensor => {
    const data = t.data as Float32Array;
    const stride = data.length / c.rows;
    const out = new Float32Array(keep.length * stride);
    for (const [i, r] of keep.entries()) out.set(data.subarray(r * stride, (r + 1) * stride), i * stride);
    return { dtype: 'float32', shape: [keep.length, ...t.shape.slice(1)], data: out };
  };
  const valid = new Uint8Array(keep.length * c.past);
  for (const [i, r] of keep.entries()) valid.set(c.valid.subarray(r * c.past, (r + 1) * c.past), i * c.past);
  return {
    rows: keep.length,
    past: c.past,
    k: c.k.map(pick),
    v: c.v.map(pick),
    valid,
    positions: keep.map((r) => c.positions[r] as number),
  };
}
