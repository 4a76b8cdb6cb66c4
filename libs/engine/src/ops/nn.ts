// Thin, typed helpers over Graph.op1 for the layers LMs and SAEs are made of.
import type { Graph } from '../graph/graph.ts';
import type { Value } from '../graph/types.ts';

const f = (g: Graph, x: number, like: Value) => g.constant([x], [], like.dtype === 'float64' ? 'float64' : 'float32');

export const matmul = (g: Graph, a: Value, b: Value): Value => g.op1('MatMul', [a, b]);
export const add = (g: Graph, a: Value, b: Value): Value => g.op1('Add', [a, b]);
export const sub = (g: Graph, a: Value, b: Value): Value => g.op1('Sub', [a, b]);
export const mul = (g: Graph, a: Value, b: Value): Value => g.op1('Mul', [a, b]);
export const div = (g: Graph, a: Value, b: Value): Value => g.op1('Div', [a, b]);
export const scale = (g: Graph, a: Value, s: number): Value => g.op1('Mul', [a, f(g, s, a)]);
export const reshape = (g: Graph, a: Value, shape: readonly number[]): Value => g.op1('Reshape', [a, g.ints(shape)]);
export const transpose = (g: Graph, a: Value, perm: readonly number[]): Value =>
  g.op1('Transpose', [a], { perm: [...perm] });
export const sumAxes = (g: Graph, a: Value, axes: readonly number[], keepdims = true): Value =>
  g.op1('ReduceSum', [a, g.ints(axes)], { keepdims: keepdims ? 1 : 0 });
export const meanAxes = (g: Graph, a: Value, axes: readonly number[], keepdims = true): Value =>
  g.op1('ReduceMean', [a, g.ints(axes)], { keepdims: keepdims ? 1 : 0 });
export const sumAll = (g: Graph, a: Value): Value => g.op1('ReduceSum', [a], { keepdims: 0 });
export const meanAll = (g: Graph, a: Value): Value => g.op1('ReduceMean', [a], { keepdims: 0 });

/** x * sigmoid(x), the SiLU of Llama's MLP. */
export function silu(g: Graph, x: Value): Value {
  return mul(g, x, g.op1('Sigmoid', [x]));
}

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(g: Graph, x: Value, weight: Value, eps: number): Value {
  const ms = meanAxes(g, mul(g, x, x), [-1]);
  const inv = g.op1('Reciprocal', [g.op1('Sqrt', [add(g, ms, f(g, eps, x))])]);
  return mul(g, mul(g, x, inv), weight);
}

/**
 * Mean token cross-entropy of logits [N, V] against int64 targets [N]; with weights [N] (e.g. a 0/1 mask),
 * the weighted mean sum(w * nll) / sum(w).
 */
export function crossEntropy(g: Graph, logits: Value, targets: Value, weights?: Value): Value {
  if (targets.dtype !== 'int64') throw new Error(`crossEntropy: targets must be int64, got ${targets.dtype}`);
  const lsm = g.op1('LogSoftmax', [logits], { axis: -1 });
  const picked = g.op1('GatherElements', [lsm, g.op1('Unsqueeze', [targets, g.ints([-1])])], { axis: -1 });
  const nll = g.op1('Neg', [g.op1('Squeeze', [picked, g.ints([-1])])]);
  if (!weights) return meanAll(g, nll);
  return div(g, sumAll(g, mul(g, nll, weights)), sumAll(g, weights));
}
