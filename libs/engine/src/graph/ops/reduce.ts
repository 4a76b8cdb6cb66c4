// Reductions over the axes of a constant second input (all axes without one), as at opset 18.
import { dy, need, withShape } from '../../autodiff/helpers.ts';
import type { Graph } from '../graph.ts';
import type { Dim, Value } from '../types.ts';
import { family, type OpNode, type SchemaMap, type ShapeRule } from './op-def.ts';
import { constInts, normAxis, req } from './shape-util.ts';

const reduceSchema = { keepdims: 'flag' } as const;
export const reduceAttrs = {
  ReduceSum: reduceSchema,
  ReduceMean: reduceSchema,
  ReduceMax: reduceSchema,
  ReduceMin: reduceSchema,
  ReduceSumSquare: reduceSchema,
  ReduceL2: reduceSchema,
} as const satisfies SchemaMap;

type ReduceAttrs = { readonly keepdims?: 0 | 1 };

const reduceShape: ShapeRule<ReduceAttrs> = (ins, attrs, g) => {
  const x = req(ins, 0);
  const keep = (attrs.keepdims ?? 1) === 1;
  if (!x.shape) return [{ dtype: x.dtype, shape: null }];
  const given = ins[1] ? constInts(ins[1], g) : null;
  if (ins[1] && given === null) return [{ dtype: x.dtype, shape: null }];
  const rank = x.shape.length;
  const axes = new Set((given && given.length > 0 ? given : [...Array(rank).keys()]).map((a) => normAxis(a, rank)));
  const out: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return [{ dtype: x.dtype, shape: out }];
};

/** Unsqueezes a reduced gradient back to keepdims form and expands it to the input's runtime shape. */
function expandReduced(g: Graph, n: OpNode<ReduceAttrs>, x: Value, d: Value): Value {
  const rank = x.shape?.length;
  if (rank === undefined) throw new Error(`autodiff: ${n.opType} '${n.name}' needs a static input rank`);
  const given = n.inputs[1] ? constInts(g.value(n.inputs[1]), g) : null;
  const axes = (given && given.length > 0 ? given : [...Array(rank).keys()])
    .map((a) => (a < 0 ? a + rank : a))
    .sort((p, q) => p - q);
  let r = d;
  if ((n.attrs.keepdims ?? 1) === 0) r = g.op1('Unsqueeze', [r, g.ints(axes)]);
  return withShape(g.op1('Expand', [r, g.op1('Shape', [x])]), x);
}

export const reduce = family('libs/engine/src/graph/ops/reduce.ts', reduceAttrs, {
  ReduceSum: {
    shape: reduceShape,
    grad: (g, n, ins, _o, d) => [expandReduced(g, n, need(ins[0], 'ReduceSum x'), dy(d)), null],
  },
  ReduceMean: {
    shape: reduceShape,
    grad: (g, n, ins, outs, d) => {
      const x = need(ins[0], 'ReduceMean x');
      const y = outs[0] as Value;
      const ratio = g.op1('Div', [
        g.op1('Cast', [g.op1('Size', [x])], { to: x.dtype === 'float64' ? 11 : 1 }),
        g.op1('Cast', [g.op1('Size', [y])], { to: x.dtype === 'float64' ? 11 : 1 }),
      ]);
      return [expandReduced(g, n, x, g.op1('Div', [dy(d), ratio])), null];
    },
  },
  ReduceMax: { shape: reduceShape, grad: 'none' },
  ReduceMin: { shape: reduceShape, grad: 'none' },
  ReduceSumSquare: { shape: reduceShape, grad: 'none' },
  ReduceL2: { shape: reduceShape, grad: 'none' },
});
