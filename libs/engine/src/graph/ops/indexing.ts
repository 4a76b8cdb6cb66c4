// Indexing: gathers, the scatters that are their gradients, and TopK (values and int64 indices).
import { dy, need, withShape, zerosLike } from '../../autodiff/helpers.ts';
import type { Value } from '../types.ts';
import { family, type SchemaMap, type ShapeRule } from './op-def.ts';
import { constInts, normAxis, req } from './shape-util.ts';

const reduction = { oneOf: ['none', 'add', 'mul', 'max', 'min'] } as const;
export const indexingAttrs = {
  Gather: { axis: 'int' },
  GatherElements: { axis: 'int' },
  GatherND: { batch_dims: 'int' },
  ScatterElements: { axis: 'int', reduction },
  ScatterND: { reduction },
  TopK: { axis: 'int', largest: 'flag', sorted: 'flag' },
} as const satisfies SchemaMap;

const scatter: ShapeRule<unknown> = (ins) => {
  const x = req(ins, 0);
  const upd = req(ins, 2);
  if (x.dtype !== upd.dtype) throw new Error('Scatter data and updates differ in element type');
  return [{ dtype: x.dtype, shape: x.shape }];
};

export const indexing = family('libs/engine/src/graph/ops/indexing.ts', indexingAttrs, {
  Gather: {
    shape: (ins, attrs) => {
      const x = req(ins, 0);
      const idx = req(ins, 1);
      if (idx.dtype !== 'int64' && idx.dtype !== 'int32') throw new Error('Gather indices must be int64 or int32');
      if (!x.shape || !idx.shape) return [{ dtype: x.dtype, shape: null }];
      const axis = normAxis(attrs.axis ?? 0, x.shape.length);
      return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
    },
    grad: (g, n, ins, _o, d) => {
      const data = need(ins[0], 'Gather data');
      if ((n.attrs.axis ?? 0) !== 0) throw new Error(`autodiff: Gather '${n.name}' is differentiable on axis 0 only`);
      let idx = need(ins[1], 'Gather indices');
      if (idx.dtype !== 'int64') idx = g.op1('Cast', [idx], { to: 7 });
      const idx1 = g.op1('Unsqueeze', [idx, g.ints([-1])]);
      return [withShape(g.op1('ScatterND', [zerosLike(g, data), idx1, dy(d)], { reduction: 'add' }), data), null];
    },
  },
  GatherElements: {
    shape: (ins) => {
      const x = req(ins, 0);
      const idx = req(ins, 1);
      if (x.shape && idx.shape && x.shape.length !== idx.shape.length)
        throw new Error('GatherElements operands differ in rank');
      return [{ dtype: x.dtype, shape: idx.shape }];
    },
    grad: (g, n, ins, _o, d) => {
      const data = need(ins[0], 'GatherElements data');
      const idx = need(ins[1], 'GatherElements indices');
      return [
        withShape(
          g.op1('ScatterElements', [zerosLike(g, data), idx, dy(d)], { axis: n.attrs.axis ?? 0, reduction: 'add' }),
          data,
        ),
        null,
      ];
    },
  },
  GatherND: {
    shape: (ins, attrs) => {
      const x = req(ins, 0);
      const idx = req(ins, 1);
      if (!x.shape || !idx.shape) return [{ dtype: x.dtype, shape: null }];
      const b = attrs.batch_dims ?? 0;
      const last = idx.shape[idx.shape.length - 1];
      if (typeof last !== 'number') return [{ dtype: x.dtype, shape: null }];
      return [{ dtype: x.dtype, shape: [...idx.shape.slice(0, -1), ...x.shape.slice(b + last)] }];
    },
    grad: (g, n, ins, _o, d) => {
      const data = need(ins[0], 'GatherND data');
      if ((n.attrs.batch_dims ?? 0) !== 0)
        throw new Error(`autodiff: GatherND '${n.name}' with batch_dims is not supported`);
      return [
        withShape(
          g.op1('ScatterND', [zerosLike(g, data), need(ins[1], 'GatherND indices'), dy(d)], { reduction: 'add' }),
          data,
        ),
        null,
      ];
    },
  },
  ScatterElements: {
    shape: scatter,
    grad: (g, n, ins, _o, d) => {
      const idx = need(ins[1], 'ScatterElements indices');
      const upd = need(ins[2], 'ScatterElements updates');
      const axis = n.attrs.axis ?? 0;
      const add = n.attrs.reduction === 'add';
      const dData = add ? dy(d) : g.op1('ScatterElements', [dy(d), idx, zerosLike(g, upd)], { axis });
      return [dData, null, withShape(g.op1('GatherElements', [dy(d), idx], { axis }), upd)];
    },
  },
  ScatterND: {
    shape: scatter,
    grad: (g, n, ins, _o, d) => {
      const idx = need(ins[1], 'ScatterND indices');
      const upd = need(ins[2], 'ScatterND updates');
      const add = n.attrs.reduction === 'add';
      const dData = add ? dy(d) : g.op1('ScatterND', [dy(d), idx, zerosLike(g, upd)]);
      return [dData, null, withShape(g.op1('GatherND', [dy(d), idx]), upd)];
    },
  },
  TopK: {
    shape: (ins, attrs, g) => {
      const x = req(ins, 0);
      const k = constInts(ins[1], g)?.[0];
      if (!x.shape)
        return [
          { dtype: x.dtype, shape: null },
          { dtype: 'int64', shape: null },
        ];
      const axis = normAxis(attrs.axis ?? -1, x.shape.length);
      const dim = x.shape[axis];
      if (k !== undefined && typeof dim === 'number' && k > dim) throw new Error(`k=${k} exceeds axis size ${dim}`);
      const out = [...x.shape];
      out[axis] = k ?? '?';
      return [
        { dtype: x.dtype, shape: out },
        { dtype: 'int64', shape: out },
      ];
    },
    // Values only: the indices output is int64 and gets no gradient.
    grad: (g, n, ins, outs, d) => {
      const x = need(ins[0], 'TopK x');
      const dv = d[0];
      if (!dv) return [null, null];
      const axis = n.attrs.axis ?? -1;
      return [
        withShape(g.op1('ScatterElements', [zerosLike(g, x), outs[1] as Value, dv], { axis, reduction: 'add' }), x),
        null,
      ];
    },
  },
});
