import type { DType, TensorData } from '../graph/types.ts';

/** safetensors dtype names this engine reads, with their byte sizes. */
export const ST_DTYPES = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1, F64: 8 } as const;
export type StDType = keyof typeof ST_DTYPES;

export function isStDType(x: string): x is StDType {
  return Object.prototype.hasOwnProperty.call(ST_DTYPES, x);
}

/** The safetensors dtype a host tensor is written as. */
export function stDTypeOf(dtype: DType): StDType {
  switch (dtype) {
    case 'float32': return 'F32';
    case 'float64': return 'F64';
    case 'float16': return 'F16';
    case 'int64': return 'I64';
    case 'int32': return 'I32';
    case 'uint8': return 'U8';
    case 'bool': return 'BOOL';
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
    case 'F32': return { dtype: 'float32', shape: [...shape], data: new Float32Array(buf) };
    case 'F64': return { dtype: 'float32', shape: [...shape], data: Float32Array.from(new Float64Array(buf)) };
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
    case 'I64': return { dtype: 'int64', shape: [...shape], data: new BigInt64Array(buf) };
    case 'I32': return { dtype: 'int32', shape: [...shape], data: new Int32Array(buf) };
    case 'U8': return { dtype: 'uint8', shape: [...shape], data: new Uint8Array(buf) };
    case 'BOOL': return { dtype: 'bool', shape: [...shape], data: new Uint8Array(buf) };
  }
}
