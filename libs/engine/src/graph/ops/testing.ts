// Shared by the families' tests (libs/engine/src/graph/ops/*.test.ts): a gradient check against float64
// central differences, and the inputs those checks are built from.
import { gradCheck, type GradCheckInput } from '../../autodiff/grad-check.ts';
import type { Graph } from '../graph.ts';
import type { Value } from '../types.ts';

/** Relative error the float64 gradient checks allow (libs/engine/README.md states it). */
export const GRAD_TOL = 1e-6;

/** Throws, naming the check, when the engine's gradient of `f` and the finite differences differ beyond GRAD_TOL. */
export async function checkGrad(
  name: string,
  inputs: GradCheckInput[],
  f: (g: Graph, xs: Value[]) => Value,
  h?: number,
): Promise<void> {
  const r = await gradCheck(inputs, f, h === undefined ? {} : { h });
  if (!(r.maxRelError < GRAD_TOL))
    throw new Error(`${name}: max relative error ${r.maxRelError} (abs ${r.maxAbsError})`);
  if (r.analytic.length === 0) throw new Error(`${name}: no gradient was computed`);
}

/** A float64 input of standard normal draws. */
export const normal = (name: string, ...shape: number[]): GradCheckInput => ({ name, shape });

/** A float64 input of values in [0.5, 1.7], for ops defined on positives (Log, Sqrt, a divisor). */
export const positive = (name: string, ...shape: number[]): GradCheckInput => ({
  name,
  shape,
  values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.5 + ((i * 7) % 5) * 0.3),
});

/** An int64 input of fixed indices (not differentiated). */
export const indices = (name: string, shape: number[], values: number[]): GradCheckInput => ({
  name,
  shape,
  values,
  dtype: 'int64',
});
