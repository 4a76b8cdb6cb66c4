// Matrix products: batched MatMul (numpy matmul broadcasting) and 2-D Gemm with transposes and a bias.
import { dy, need, swapLast, unbroadcast } from '../../autodiff/helpers.ts';
import type { Dim, Value } from '../types.ts';
import { family, type SchemaMap } from './op-def.ts';
import { broadcastShapes, req, sameDtype } from './shape-util.ts';

export const matmulAttrs = {
  MatMul: {},
  Gemm: { transA: 'flag', transB: 'flag', alpha: 'float', beta: 'float' },
} as const satisfies SchemaMap;

export const matmul = family('libs/engine/src/graph/ops/matmul.ts', matmulAttrs, {
  MatMul: {
    shape: (ins) => {
      const a = req(ins, 0);
      const b = req(ins, 1);
      const dtype = sameDtype([a, b]);
      if (!a.shape || !b.shape) return [{ dtype, shape: null }];
      if (a.shape.length < 1 || b.shape.length < 1) throw new Error('MatMul needs rank >= 1');
      const A = a.shape.length === 1 ? [1, a.shape[0] as Dim] : a.shape;
      const B = b.shape.length === 1 ? [b.shape[0] as Dim, 1] : b.shape;
      const k1 = A[A.length - 1] as Dim;
      const k2 = B[B.length - 2] as Dim;
      if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2)
        throw new Error(`inner dimensions ${k1} and ${k2} differ`);
      const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2));
      const out: Dim[] = [...batch];
      if (a.shape.length > 1) out.push(A[A.length - 2] as Dim);
      if (b.shape.length > 1) out.push(B[B.length - 1] as Dim);
      return [{ dtype, shape: out }];
    },
    grad: (g, n, ins, _o, d) => {
      const a = need(ins[0], 'MatMul a');
      const b = need(ins[1], 'MatMul b');
      const da = g.op1('MatMul', [dy(d), swapLast(g, b)]);
      const db = g.op1('MatMul', [swapLast(g, a), dy(d)]);
      // Batch axes broadcast like elementwise ops (a leading axis, or a 1 against a larger size).
      const reduceTo = (grad: Value, target: Value): Value =>
        grad.shape ? unbroadcast(g, grad, target, grad.shape) : grad;
      if ((a.shape?.length ?? 0) < 2 || (b.shape?.length ?? 0) < 2)
        throw new Error(`autodiff: MatMul '${n.name}' with a rank-1 operand is not supported`);
      return [reduceTo(da, a), reduceTo(db, b)];
    },
  },
  Gemm: {
    shape: (ins, attrs) => {
      const a = req(ins, 0);
      const b = req(ins, 1);
      const dtype = sameDtype([a, b]);
      if (!a.shape || !b.shape) return [{ dtype, shape: null }];
      if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error('Gemm needs 2-D operands');
      const [m, k1] = attrs.transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
      const [k2, n] = attrs.transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
      if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2)
        throw new Error(`inner dimensions ${k1} and ${k2} differ`);
      const c = ins[2];
      const out: Dim[] = [m as Dim, n as Dim];
      if (c?.shape) broadcastShapes(out, c.shape);
      return [{ dtype, shape: out }];
    },
    grad: (g, n, ins, outs, d) => {
      const a = need(ins[0], 'Gemm A');
      const b = need(ins[1], 'Gemm B');
      if ((n.attrs.alpha?.float ?? 1) !== 1 || (n.attrs.beta?.float ?? 1) !== 1)
        throw new Error(`autodiff: Gemm '${n.name}' with alpha/beta other than 1 is not supported`);
      const tA = n.attrs.transA === 1;
      const tB = n.attrs.transB === 1;
      const G = dy(d);
      // Y = op(A) op(B): d op(A) = G op(B)^T, d op(B) = op(A)^T G.
      const da = tA
        ? g.op1('Gemm', [b, G], { transA: tB ? 1 : 0, transB: 1 })
        : g.op1('Gemm', [G, b], { transB: tB ? 0 : 1 });
      const db = tB
        ? g.op1('Gemm', [G, a], { transA: 1, transB: tA ? 1 : 0 })
        : g.op1('Gemm', [a, G], { transA: tA ? 0 : 1 });
      const c = ins[2];
      return [da, db, c ? unbroadcast(g, G, c, (outs[0] as Value).shape) : null];
    },
  },
});
