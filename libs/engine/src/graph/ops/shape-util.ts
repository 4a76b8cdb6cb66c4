// Helpers the families' shape rules share: broadcasting, axis normalisation and constant shape inputs.
import type { DType, Dim, Value } from '../types.ts';
import type { ConstantLookup, ShapeRule } from './op-def.ts';

export function req(ins: readonly (Value | null)[], i: number): Value {
  const v = ins[i];
  if (!v) throw new Error(`input ${i} is required`);
  return v;
}

/** Numpy-style broadcast of two shapes; symbolic dims must match by name or meet a 1. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === 'string' || typeof y === 'string') out.push(typeof x === 'number' ? y : x);
    else throw new Error(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
  }
  return out;
}

export function sameDtype(ins: readonly Value[]): DType {
  const d = ins[0]?.dtype ?? 'float32';
  for (const v of ins)
    if (v.dtype !== d) throw new Error(`element types differ: ${ins.map((x) => x.dtype).join(' vs ')}`);
  return d;
}

/** Broadcast of every present input; the output has their common type, or `outType` (comparisons: bool). */
export function broadcastRule(outType?: DType): ShapeRule<unknown> {
  return (ins) => {
    const vs = ins.filter((v): v is Value => v !== null);
    const dt = sameDtype(vs);
    let shape: Dim[] | null = [];
    for (const v of vs) shape = shape && v.shape ? broadcastShapes(shape, v.shape) : null;
    return [{ dtype: outType ?? dt, shape }];
  };
}

/** Same type and shape as input 0. */
export const unary: ShapeRule<unknown> = (ins) => [{ dtype: req(ins, 0).dtype, shape: req(ins, 0).shape }];

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Integer contents of a constant input, or null when it is not a known constant. */
export function constInts(v: Value | null | undefined, g: ConstantLookup): number[] | null {
  if (!v) return null;
  const t = g.initializers.get(v.name);
  if (!t) return null;
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}
