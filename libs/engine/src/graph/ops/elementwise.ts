// Elementwise ops: numpy-broadcast arithmetic, comparisons and logic, unary math, Cast and Where.
import { dy, mul, need, neg, scalar, unbroadcast } from '../../autodiff/helpers.ts';
import type { Graph } from '../graph.ts';
import type { Value } from '../types.ts';
import { elemTypeCodes, family, type OpNode, type SchemaMap } from './op-def.ts';
import { broadcastRule, broadcastShapes, req, sameDtype, unary } from './shape-util.ts';

export const elementwiseAttrs = {
  Add: {},
  Sub: {},
  Mul: {},
  Div: {},
  Pow: {},
  Max: {},
  Min: {},
  Sum: {},
  Equal: {},
  Less: {},
  Greater: {},
  LessOrEqual: {},
  GreaterOrEqual: {},
  And: {},
  Or: {},
  Not: {},
  Identity: {},
  Neg: {},
  Abs: {},
  Sign: {},
  Floor: {},
  Sqrt: {},
  Reciprocal: {},
  Exp: {},
  Log: {},
  Erf: {},
  Cos: {},
  Sin: {},
  Cast: { to: { required: 'elemType' } },
  Where: {},
} as const satisfies SchemaMap;

/** Gradients of a broadcasting binary op, each summed back to its operand's shape. */
function broadcastBinary(
  g: Graph,
  n: OpNode<unknown>,
  ins: readonly (Value | null)[],
  outs: readonly Value[],
  dA: Value | null,
  dB: Value | null,
): (Value | null)[] {
  const a = need(ins[0], `${n.opType} input 0`);
  const b = need(ins[1], `${n.opType} input 1`);
  const out = outs[0] as Value;
  return [dA ? unbroadcast(g, dA, a, out.shape) : null, dB ? unbroadcast(g, dB, b, out.shape) : null];
}

const compare = { shape: broadcastRule('bool'), grad: 'none' } as const;
const noGrad = { shape: unary, grad: 'none' } as const;

export const elementwise = family('libs/engine/src/graph/ops/elementwise.ts', elementwiseAttrs, {
  Add: {
    shape: broadcastRule(),
    grad: (g, n, ins, outs, d) => broadcastBinary(g, n, ins, outs, dy(d), dy(d)),
  },
  Sub: {
    shape: broadcastRule(),
    grad: (g, n, ins, outs, d) => broadcastBinary(g, n, ins, outs, dy(d), neg(g, dy(d))),
  },
  Mul: {
    shape: broadcastRule(),
    grad: (g, n, ins, outs, d) =>
      broadcastBinary(g, n, ins, outs, mul(g, dy(d), need(ins[1], 'Mul b')), mul(g, dy(d), need(ins[0], 'Mul a'))),
  },
  Div: {
    shape: broadcastRule(),
    grad: (g, n, ins, outs, d) => {
      const b = need(ins[1], 'Div b');
      const da = g.op1('Div', [dy(d), b]);
      const db = neg(g, mul(g, da, outs[0] as Value));
      return broadcastBinary(g, n, ins, outs, da, db);
    },
  },
  Pow: {
    // The exponent may be of another type (an int or float64 constant); the output has the base's.
    shape: (ins) =>
      broadcastRule()([req(ins, 0), { ...req(ins, 1), dtype: req(ins, 0).dtype }], {}, { initializers: new Map() }),
    grad: (g, n, ins, outs, d) => {
      const a = need(ins[0], 'Pow base');
      const p = need(ins[1], 'Pow exponent');
      const pc = p.dtype === a.dtype ? p : g.op1('Cast', [p], { to: a.dtype === 'float64' ? 11 : 1 });
      const da = mul(g, dy(d), mul(g, pc, g.op1('Pow', [a, g.op1('Sub', [pc, scalar(g, 1, a)])])));
      const exponentIsConst = g.initializers.has(p.name);
      const dp =
        exponentIsConst || p.dtype !== a.dtype ? null : mul(g, dy(d), mul(g, outs[0] as Value, g.op1('Log', [a])));
      return broadcastBinary(g, n, ins, outs, da, dp);
    },
  },
  Max: { shape: broadcastRule(), grad: 'none' },
  Min: { shape: broadcastRule(), grad: 'none' },
  Sum: { shape: broadcastRule(), grad: 'none' },
  Equal: compare,
  Less: compare,
  Greater: compare,
  LessOrEqual: compare,
  GreaterOrEqual: compare,
  And: compare,
  Or: compare,
  Not: noGrad,
  Identity: { shape: unary, grad: (_g, _n, _i, _o, d) => [dy(d)] },
  Neg: { shape: unary, grad: (g, _n, _i, _o, d) => [neg(g, dy(d))] },
  Abs: noGrad,
  Sign: noGrad,
  Floor: noGrad,
  Sqrt: {
    shape: unary,
    grad: (g, _n, _i, outs, d) => [g.op1('Div', [mul(g, dy(d), scalar(g, 0.5, outs[0] as Value)), outs[0] as Value])],
  },
  Reciprocal: {
    shape: unary,
    grad: (g, _n, _i, outs, d) => [neg(g, mul(g, dy(d), mul(g, outs[0] as Value, outs[0] as Value)))],
  },
  Exp: { shape: unary, grad: (g, _n, _i, outs, d) => [mul(g, dy(d), outs[0] as Value)] },
  Log: { shape: unary, grad: (g, _n, ins, _o, d) => [g.op1('Div', [dy(d), need(ins[0], 'Log x')])] },
  Erf: noGrad,
  Cos: noGrad,
  Sin: noGrad,
  Cast: {
    shape: (ins, attrs) => {
      const dtype = elemTypeCodes[attrs.to];
      if (!dtype) throw new Error(`Cast to element type ${attrs.to} is not supported`);
      return [{ dtype, shape: req(ins, 0).shape }];
    },
    grad: (g, _n, ins, _o, d) => {
      const x = need(ins[0], 'Cast x');
      if (x.dtype !== 'float32' && x.dtype !== 'float64' && x.dtype !== 'float16') return [null];
      return [g.op1('Cast', [dy(d)], { to: x.dtype === 'float64' ? 11 : x.dtype === 'float16' ? 10 : 1 })];
    },
  },
  Where: {
    shape: (ins) => {
      const c = req(ins, 0);
      const a = req(ins, 1);
      const b = req(ins, 2);
      if (c.dtype !== 'bool') throw new Error('Where condition must be bool');
      const dtype = sameDtype([a, b]);
      const shape = c.shape && a.shape && b.shape ? broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape) : null;
      return [{ dtype, shape }];
    },
    grad: (g, _n, ins, outs, d) => {
      const c = need(ins[0], 'Where condition');
      const a = need(ins[1], 'Where a');
      const b = need(ins[2], 'Where b');
      const z = scalar(g, 0, a);
      const out = (outs[0] as Value).shape;
      return [
        null,
        unbroadcast(g, g.op1('Where', [c, dy(d), z]), a, out),
        unbroadcast(g, g.op1('Where', [c, z, dy(d)]), b, out),
      ];
    },
  },
});
