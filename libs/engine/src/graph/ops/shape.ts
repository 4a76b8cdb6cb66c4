// Shape ops: layout changes (Reshape, Flatten, Transpose, Unsqueeze/Squeeze, Expand), Slice, Concat/Split, Pad,
// and the ops that read or make shapes (Shape, Size, ConstantOfShape). Shape inputs are read from constants.
import { dy, need, unbroadcast, withShape } from '../../autodiff/helpers.ts';
import type { Graph } from '../graph.ts';
import type { Dim, Value } from '../types.ts';
import { family, type SchemaMap } from './op-def.ts';
import { broadcastShapes, constInts, normAxis, req, sameDtype } from './shape-util.ts';

export const shapeAttrs = {
  Reshape: { allowzero: 'flag' },
  Flatten: { axis: 'int' },
  Transpose: { perm: 'ints' },
  Unsqueeze: {},
  Squeeze: {},
  Expand: {},
  Slice: {},
  Concat: { axis: 'int' },
  Split: { axis: 'int' },
  Pad: { mode: { oneOf: ['constant', 'reflect', 'edge', 'wrap'] } },
  Shape: {},
  Size: {},
  ConstantOfShape: { value: 'tensor' },
} as const satisfies SchemaMap;

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

/** The gradient of an op that only relabels its input's elements: the output gradient in the input's shape. */
function reshapeBack(g: Graph, x: Value, d: readonly (Value | null)[]): Value {
  return withShape(g.op1('Reshape', [dy(d), g.op1('Shape', [x])]), x);
}

export const shape = family('libs/engine/src/graph/ops/shape.ts', shapeAttrs, {
  Reshape: {
    shape: (ins, attrs, g) => {
      const x = req(ins, 0);
      const target = constInts(ins[1], g);
      if (!target) return [{ dtype: x.dtype, shape: null }];
      const allowZero = attrs.allowzero === 1;
      const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x.shape?.[i] ?? '?') : d));
      const minus = out.filter((d) => d === -1).length;
      if (minus > 1) throw new Error('Reshape allows at most one -1');
      if (x.shape && x.shape.every((d) => typeof d === 'number') && out.every((d) => typeof d === 'number')) {
        const total = (x.shape as number[]).reduce((a, b) => a * b, 1);
        const known = (out as number[]).filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        if (minus === 1) {
          if (total % known !== 0) throw new Error(`cannot reshape ${total} elements to [${target.join(',')}]`);
          out[out.indexOf(-1)] = total / known;
        } else if (known !== total) throw new Error(`cannot reshape ${total} elements to [${target.join(',')}]`);
      } else if (minus === 1) {
        out[out.indexOf(-1)] = '?';
      }
      return [{ dtype: x.dtype, shape: out }];
    },
    grad: (g, _n, ins, _o, d) => [reshapeBack(g, need(ins[0], 'Reshape x'), d), null],
  },
  Flatten: {
    // [d0 * ... * d(axis-1), d(axis) * ... * d(r-1)]; a product with a symbolic dim is unknown.
    shape: (ins, attrs) => {
      const x = req(ins, 0);
      if (!x.shape) return [{ dtype: x.dtype, shape: ['?', '?'] }];
      const rank = x.shape.length;
      const axisRaw = attrs.axis ?? 1;
      const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
      if (axis < 0 || axis > rank) throw new Error(`axis ${axisRaw} out of range for rank ${rank}`);
      const prod = (ds: readonly Dim[]): Dim =>
        ds.every((v) => typeof v === 'number') ? (ds as number[]).reduce((a, b) => a * b, 1) : '?';
      return [{ dtype: x.dtype, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] }];
    },
    grad: (g, _n, ins, _o, d) => [reshapeBack(g, need(ins[0], 'Flatten x'), d)],
  },
  Transpose: {
    shape: (ins, attrs) => {
      const x = req(ins, 0);
      if (!x.shape) return [{ dtype: x.dtype, shape: null }];
      const rank = x.shape.length;
      const perm = attrs.perm ? [...attrs.perm] : [...Array(rank).keys()].reverse();
      if (perm.length !== rank || [...perm].sort().some((p, i) => p !== i))
        throw new Error(`perm [${perm.join(',')}] is not a permutation of rank ${rank}`);
      return [{ dtype: x.dtype, shape: perm.map((p) => x.shape?.[p] as Dim) }];
    },
    grad: (g, n, ins, _o, d) => {
      const x = need(ins[0], 'Transpose x');
      const rank = x.shape?.length;
      if (rank === undefined) throw new Error(`autodiff: Transpose '${n.name}' needs a static rank`);
      const perm = n.attrs.perm ?? [...Array(rank).keys()].reverse();
      return [g.op1('Transpose', [dy(d)], { perm: inversePerm(perm) })];
    },
  },
  Unsqueeze: {
    shape: (ins, _a, g) => {
      const x = req(ins, 0);
      const axes = constInts(ins[1], g);
      if (!x.shape || !axes) return [{ dtype: x.dtype, shape: null }];
      const rank = x.shape.length + axes.length;
      const norm = new Set(axes.map((a) => normAxis(a, rank)));
      const out: Dim[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(norm.has(i) ? 1 : (x.shape[j++] as Dim));
      return [{ dtype: x.dtype, shape: out }];
    },
    grad: (g, _n, ins, _o, d) => [reshapeBack(g, need(ins[0], 'Unsqueeze x'), d), null],
  },
  Squeeze: {
    shape: (ins, _a, g) => {
      const x = req(ins, 0);
      if (!x.shape) return [{ dtype: x.dtype, shape: null }];
      const axes = ins[1] ? constInts(ins[1], g) : null;
      const rank = x.shape.length;
      const set = new Set((axes ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(a, rank)));
      for (const a of set)
        if (typeof x.shape[a] === 'number' && x.shape[a] !== 1)
          throw new Error(`cannot squeeze axis ${a} of size ${x.shape[a]}`);
      return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !set.has(i)) }];
    },
    grad: (g, _n, ins, _o, d) => [reshapeBack(g, need(ins[0], 'Squeeze x'), d), null],
  },
  Expand: {
    shape: (ins, _a, g) => {
      const x = req(ins, 0);
      const target = constInts(ins[1], g);
      if (!x.shape || !target) return [{ dtype: x.dtype, shape: null }];
      return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, target) }];
    },
    grad: (g, _n, ins, outs, d) => [unbroadcast(g, dy(d), need(ins[0], 'Expand x'), (outs[0] as Value).shape), null],
  },
  Slice: {
    shape: (ins, _attrs, g) => {
      const x = req(ins, 0);
      const starts = constInts(ins[1], g);
      const ends = constInts(ins[2], g);
      if (!x.shape || !starts || !ends) return [{ dtype: x.dtype, shape: x.shape ? x.shape.map(() => '?') : null }];
      const rank = x.shape.length;
      const axes = constInts(ins[3], g) ?? starts.map((_, i) => i);
      const steps = constInts(ins[4], g) ?? starts.map(() => 1);
      const out: Dim[] = [...x.shape];
      axes.forEach((axRaw, i) => {
        const ax = normAxis(axRaw, rank);
        const dim = x.shape?.[ax] as Dim;
        const step = steps[i] as number;
        if (step === 0) throw new Error('Slice step must not be 0');
        if (typeof dim !== 'number') {
          out[ax] = '?';
          return;
        }
        const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
        let s = starts[i] as number;
        let e = ends[i] as number;
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        if (step > 0) {
          s = clamp(s, 0, dim);
          e = clamp(e, 0, dim);
          out[ax] = Math.max(0, Math.ceil((e - s) / step));
        } else {
          s = clamp(s, -1, dim - 1);
          e = clamp(e, -1, dim - 1);
          out[ax] = Math.max(0, Math.ceil((s - e) / -step));
        }
      });
      return [{ dtype: x.dtype, shape: out }];
    },
    grad: (g, n, ins, _o, d) => {
      const x = need(ins[0], 'Slice x');
      const shape = x.shape;
      const starts = constInts(ins[1], g);
      const ends = constInts(ins[2], g);
      if (!shape || !shape.every((s) => typeof s === 'number') || !starts || !ends)
        throw new Error(`autodiff: Slice '${n.name}' needs a static input shape and constant starts/ends`);
      const rank = shape.length;
      const axes = (constInts(ins[3], g) ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
      const steps = constInts(ins[4], g) ?? starts.map(() => 1);
      if (steps.some((s) => s !== 1))
        throw new Error(`autodiff: Slice '${n.name}' with steps other than 1 is not supported`);
      const pads = new Array<number>(2 * rank).fill(0);
      axes.forEach((ax, i) => {
        const dim = shape[ax] as number;
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
        const s = clamp(starts[i] as number);
        const e = Math.max(clamp(ends[i] as number), s);
        pads[ax] = s;
        pads[ax + rank] = dim - e;
      });
      return [withShape(g.op1('Pad', [dy(d), g.ints(pads)]), x), null, null, null, null];
    },
  },
  Concat: {
    shape: (ins, attrs) => {
      const vs = ins.filter((v): v is Value => v !== null);
      const dtype = sameDtype(vs);
      if (vs.some((v) => !v.shape)) return [{ dtype, shape: null }];
      const first = vs[0];
      if (!first?.shape) throw new Error('Concat: needs at least one input');
      const rank = first.shape.length;
      const axis = normAxis(attrs.axis ?? 0, rank);
      const out: Dim[] = [...first.shape];
      let sum: Dim = 0;
      for (const v of vs) {
        const s = v.shape as Dim[];
        if (s.length !== rank) throw new Error('Concat operands differ in rank');
        s.forEach((d, i) => {
          if (i !== axis && typeof d === 'number' && typeof out[i] === 'number' && d !== out[i])
            throw new Error(`Concat operands differ on axis ${i}`);
        });
        const d = s[axis] as Dim;
        sum = typeof sum === 'number' && typeof d === 'number' ? sum + d : '?';
      }
      out[axis] = sum;
      return [{ dtype, shape: out }];
    },
    grad: (g, n, ins, _o, d) => {
      const parts = ins.map((v) => need(v, 'Concat input'));
      const rank = parts[0]?.shape?.length;
      if (rank === undefined) throw new Error(`autodiff: Concat '${n.name}' needs static ranks`);
      const axisRaw = n.attrs.axis ?? 0;
      const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
      const sizes = parts.map((p) => p.shape?.[axis]);
      if (!sizes.every((s): s is number => typeof s === 'number'))
        throw new Error(`autodiff: Concat '${n.name}' needs static sizes on axis ${axis}`);
      const pieces = g.op('Split', [dy(d), g.ints(sizes)], { axis }, { outputs: parts.length });
      return pieces.map((p, i) => withShape(p, parts[i] as Value));
    },
  },
  Split: {
    // One output per constant split size along the axis (the caller names the output count).
    shape: (ins, attrs, g) => {
      const x = req(ins, 0);
      const sizes = constInts(ins[1], g);
      if (!x.shape || !sizes) return [{ dtype: x.dtype, shape: null }];
      const axis = normAxis(attrs.axis ?? 0, x.shape.length);
      const dim = x.shape[axis];
      const total = sizes.reduce((a, b) => a + b, 0);
      if (typeof dim === 'number' && total !== dim)
        throw new Error(`split sizes sum to ${total}, axis ${axis} has ${dim}`);
      return sizes.map((n) => {
        const out = [...(x.shape as Dim[])];
        out[axis] = n;
        return { dtype: x.dtype, shape: out };
      });
    },
    grad: 'none',
  },
  Pad: {
    // Constant pads [begin..., end...] add to each axis; other pads leave the shape unknown.
    shape: (ins, _a, g) => {
      const x = req(ins, 0);
      const pads = constInts(ins[1], g);
      if (!x.shape || !pads) return [{ dtype: x.dtype, shape: null }];
      const r = x.shape.length;
      if (pads.length !== 2 * r) throw new Error(`pads has ${pads.length} entries, needs ${2 * r} for rank ${r}`);
      return [
        {
          dtype: x.dtype,
          shape: x.shape.map((d, i) =>
            typeof d === 'number' ? d + (pads[i] as number) + (pads[i + r] as number) : '?',
          ),
        },
      ];
    },
    grad: 'none',
  },
  Shape: { shape: (ins) => [{ dtype: 'int64', shape: [req(ins, 0).shape?.length ?? '?'] }], grad: 'none' },
  Size: {
    shape: (ins) => {
      req(ins, 0);
      return [{ dtype: 'int64', shape: [] }];
    },
    grad: 'none',
  },
  ConstantOfShape: {
    // The output's dtype is the `value` tensor's (float32 zeros when absent); its shape the constant shape input's.
    shape: (ins, attrs, g) => {
      const dtype = attrs.value ? attrs.value.tensor.dtype : 'float32';
      const dims = constInts(req(ins, 0), g);
      return [{ dtype, shape: dims ?? null }];
    },
    grad: 'none',
  },
});
