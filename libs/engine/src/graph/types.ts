import type { OpType } from './ops/index.ts';

/** Element types the engine emits. bf16 weights are widened to float32 on load. */
export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';

/** A dimension: a fixed size, or a symbolic name such as 'batch' that is fixed at run time. */
export type Dim = number | string;

/** A symbolic tensor in a graph under construction. `shape` null means unknown rank. */
export interface Value {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[] | null;
}

/** Attribute values as ONNX stores them; arrays of numbers are ints unless listed in `floats`. */
export type AttrValue =
  | number
  | string
  | readonly number[]
  | readonly string[]
  | { readonly floats: readonly number[] }
  | { readonly float: number }
  | { readonly tensor: TensorData };

/** Host tensor data: a typed array whose element type matches dtype. */
export interface TensorData {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;
}

/**
 * The first element of a session's output `name` as a number; a missing output is an error naming it and
 * `where` (instead of a TypeError reading index 0 of undefined).
 */
export function scalarOutput(
  out: Readonly<Record<string, TensorData | undefined>>,
  name: string,
  where: string,
): number {
  const t = out[name];
  if (!t)
    throw new Error(
      `${where}: the session returned no output '${name}' (it returned ${Object.keys(out).join(', ') || 'nothing'})`,
    );
  return Number(t.data[0]);
}

/** One node as recorded by the builder (the autodiff reads these). */
export interface NodeRecord {
  readonly opType: OpType;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** As given to Graph.op, checked against the op's schema there; an op's rules see them typed (OpNode). */
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly domain: string;
}

export const elementSize: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int64: 8,
  int32: 4,
  bool: 1,
  uint8: 1,
};

export function shapeToString(shape: readonly Dim[] | null): string {
  return shape === null ? '[?]' : `[${shape.join(',')}]`;
}

/** Number of elements of a fully static shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
