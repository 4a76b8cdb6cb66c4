import type { DType, TensorData } from '../graph/types.ts';

/** safetensors dtype names this engine reads, with their byte sizes. */
export const ST_DTYPES = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1, F64: 8 } as const;
export type StDType = keyof typeof ST_DTYPES;

export function isStDType(x: string): x is StDType {
  return Object.hasOwn(ST_DTYPES, x);
}

/** The safetensors dtype a host tensor is written as. */
export function stDTypeOf(dtype: DType): StDType {
  switch (dtype) {
    case 'float32':
      return 'F32';
    case 'float64':
      return 'F64';
    case 'float16':
      return 'F16';
    case 'int64':
      return 'I64';
    case 'int32':
      return 'I32';
    case 'uint8':
      return 'U8';
    case 'bool':
      return 'BOOL';
  }
}

/** IEEE half to float32 (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Decodes raw little-endian bytes into the host tensor a reader returns: F16/BF16/F64 widen or narrow to
 * float32, integer and bool types keep their width. `bytes` must be exactly the tensor's byte range.
 */
export function decodeTensor(st: StDType, shape: readonly number[], bytes: Uint8Array): TensorData {
  const n = shape.reduce((a, b) => a * b, 1);
  // Copy into an aligned buffer: byte ranges in a file need not be aligned for typed-array views.
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  switch (st) {
    case 'F32':
      return { dtype: 'float32', shape: [...shape], data: new Float32Array(buf) };
    case 'F64':
      return { dtype: 'float32', shape: [...shape], data: Float32Array.from(new Float64Array(buf)) };
    case 'F16': {
      const h = new Uint16Array(buf);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i] as number);
      return { dtype: 'float32', shape: [...shape], data: out };
    }
    case 'BF16': {
      const h = new Uint16Array(buf);
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = (h[i] as number) << 16;
      return { dtype: 'float32', shape: [...shape], data: new Float32Array(bits.buffer) };
    }
    case 'I64':
      return { dtype: 'int64', shape: [...shape], data: new BigInt64Array(buf) };
    case 'I32':
      return { dtype: 'int32', shape: [...shape], data: new Int32Array(buf) };
    case 'U8':
      return { dtype: 'uint8', shape: [...shape], data: new Uint8Array(buf) };
    case 'BOOL':
      return { dtype: 'bool', shape: [...shape], data: new Uint8Array(buf) };
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 to IEEE half, rounding to nearest even (overflow to infinity, underflow through subnormals to zero). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return half;
}

/** float32 to bfloat16 (the upper half of its bits), rounding to nearest even; NaN stays NaN. */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The little-endian bytes of float32 values stored as F16 or BF16. */
export function encodeHalfs(data: Float32Array, format: 'F16' | 'BF16'): Uint8Array {
  const out = new Uint16Array(data.length);
  const conv = format === 'F16' ? floatToHalf : floatToBf16;
  for (let i = 0; i < data.length; i++) out[i] = conv(data[i] as number);
  return new Uint8Array(out.buffer);
}
