// Activations: Relu, Sigmoid, Tanh, Softplus, and (Log)Softmax along one axis.
import { dy, mul, need, scalar } from '../../autodiff/helpers.ts';
import type { Value } from '../types.ts';
import { family, type SchemaMap, type ShapeRule } from './op-def.ts';
import { normAxis, req, unary } from './shape-util.ts';

export const activationAttrs = {
  Relu: {},
  Sigmoid: {},
  Tanh: {},
  Softplus: {},
  Softmax: { axis: 'int' },
  LogSoftmax: { axis: 'int' },
} as const satisfies SchemaMap;

const softmax: ShapeRule<{ readonly axis?: number }> = (ins, attrs) => {
  const x = req(ins, 0);
  if (x.shape) normAxis(attrs.axis ?? -1, x.shape.length);
  return [{ dtype: x.dtype, shape: x.shape }];
};

export const activations = family('libs/engine/src/graph/ops/activations.ts', activationAttrs, {
  Relu: {
    shape: unary,
    grad: (g, _n, ins, _o, d) => {
      const x = need(ins[0], 'Relu x');
      const pos = g.op1('Greater', [x, scalar(g, 0, x)]);
      return [g.op1('Where', [pos, dy(d), scalar(g, 0, x)])];
    },
  },
  Sigmoid: {
    shape: unary,
    grad: (g, _n, _i, outs, d) => {
      const y = outs[0] as Value;
      return [mul(g, dy(d), mul(g, y, g.op1('Sub', [scalar(g, 1, y), y])))];
    },
  },
  Tanh: {
    shape: unary,
    grad: (g, _n, _i, outs, d) => {
      const y = outs[0] as Value;
      return [mul(g, dy(d), g.op1('Sub', [scalar(g, 1, y), mul(g, y, y)]))];
    },
  },
  Softplus: { shape: unary, grad: 'none' },
  Softmax: {
    shape: softmax,
    grad: (g, n, _i, outs, d) => {
      const y = outs[0] as Value;
      const s = g.op1('ReduceSum', [mul(g, dy(d), y), g.ints([n.attrs.axis ?? -1])], { keepdims: 1 });
      return [mul(g, y, g.op1('Sub', [dy(d), s]))];
    },
  },
  LogSoftmax: {
    shape: softmax,
    grad: (g, n, _i, outs, d) => {
      const y = outs[0] as Value;
      const s = g.op1('ReduceSum', [dy(d), g.ints([n.attrs.axis ?? -1])], { keepdims: 1 });
      return [g.op1('Sub', [dy(d), mul(g, g.op1('Exp', [y]), s)])];
    },
  },
});
