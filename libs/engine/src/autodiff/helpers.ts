import type { Graph } from '../graph/graph.ts';
import type { DType, Dim, Value } from '../graph/types.ts';

/** A scalar constant of the value's element type (float32 or float64). */
export function scalar(g: Graph, x: number, like: Value): Value {
  return g.constant([x], [], like.dtype === 'float64' ? 'float64' : 'float32');
}

/** Zeros with the runtime shape of `like`. */
export function zerosLike(g: Graph, like: Value): Value {
  const dtype: DType = like.dtype === 'float64' ? 'float64' : 'float32';
  const value = {
    tensor: { dtype, shape: [1], data: dtype === 'float64' ? new Float64Array(1) : new Float32Array(1) },
  };
  const z = g.op1('ConstantOfShape', [g.op1('Shape', [like])], { value });
  return { ...z, dtype, shape: like.shape };
}

/** A value with its static shape and type restored (ops whose shape the builder cannot infer). */
export function withShape(v: Value, like: Value): Value {
  return { ...v, dtype: like.dtype, shape: like.shape };
}

/**
 * Sums a gradient over the axes along which `input` was broadcast to reach `outShape`, then reshapes it to
 * the input's shape. Decided from static shapes: symbolic dims must match by name (or meet a 1).
 */
export function unbroadcast(g: Graph, grad: Value, input: Value, outShape: readonly Dim[] | null): Value {
  const inShape = input.shape;
  if (inShape === null || outShape === null)
    throw new Error(`autodiff: cannot reduce a broadcast gradient to '${input.name}' without static ranks`);
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return grad;
  const lead = outShape.length - inShape.length;
  const axes: number[] = [];
  for (let i = 0; i < outShape.length; i++) {
    if (i < lead) {
      axes.push(i);
      continue;
    }
    const di = inShape[i - lead] as Dim;
    const dOut = outShape[i] as Dim;
    if (di === dOut) continue;
    if (di === 1) {
      axes.push(i);
      continue;
    }
    throw new Error(
      `autodiff: cannot decide how '${input.name}' [${inShape.join(',')}] broadcast to [${outShape.join(',')}] (axis ${i})`,
    );
  }
  let r = grad;
  if (axes.length > 0) r = g.op1('ReduceSum', [grad, g.ints(axes)], { keepdims: 1 });
  if (lead > 0 || axes.length > 0) r = g.op1('Reshape', [r, g.op1('Shape', [input])]);
  return withShape(r, input);
}

/** Swaps the last two axes (for batched MatMul gradients). */
export function swapLast(g: Graph, v: Value): Value {
  const rank = v.shape?.length;
  if (rank === undefined || rank < 2)
    throw new Error(`autodiff: MatMul gradient needs rank >= 2 operands, '${v.name}' has ${rank ?? 'unknown'} rank`);
  const perm = [...Array(rank).keys()];
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return g.op1('Transpose', [v], { perm });
}

/** A rule's operand, or an error naming what is missing. */
export function need(v: Value | null | undefined, what: string): Value {
  if (!v) throw new Error(`autodiff: ${what} is missing`);
  return v;
}

/** The gradient of a rule's first output. */
export function dy(dOuts: readonly (Value | null)[]): Value {
  return need(dOuts[0], 'output gradient');
}

export const mul = (g: Graph, a: Value, b: Value): Value => g.op1('Mul', [a, b]);
export const neg = (g: Graph, a: Value): Value => g.op1('Neg', [a]);

export function isFloat(v: Value): boolean {
  return v.dtype === 'float32' || v.dtype === 'float64' || v.dtype === 'float16';
}
