import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradients } from '../../autodiff/gradients.ts';
import { Graph } from '../graph.ts';
import { checkGrad, normal } from './testing.ts';

test('MatMul: plain, batched, broadcast batch', async () => {
  await checkGrad('MatMul', [normal('a', 3, 4), normal('b', 4, 2)], (g, [a, b]) => g.op1('MatMul', [a!, b!]));
  await checkGrad('MatMul batched', [normal('a', 2, 3, 4), normal('b', 2, 4, 2)], (g, [a, b]) =>
    g.op1('MatMul', [a!, b!]),
  );
  await checkGrad('MatMul broadcast', [normal('a', 2, 3, 4), normal('b', 4, 2)], (g, [a, b]) =>
    g.op1('MatMul', [a!, b!]),
  );
  // Same rank, a batch axis of 1 against 3 (grouped-query attention's key heads).
  await checkGrad('MatMul broadcast axis', [normal('a', 2, 3, 2, 4), normal('b', 2, 1, 4, 2)], (g, [a, b]) =>
    g.op1('MatMul', [a!, b!]),
  );
});

test('Gemm with each pair of transposes and a bias', async () => {
  for (const [tA, tB] of [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ] as const) {
    const sa = tA ? [4, 3] : [3, 4];
    const sb = tB ? [2, 4] : [4, 2];
    await checkGrad(`Gemm ${tA}${tB}`, [normal('a', ...sa), normal('b', ...sb), normal('c', 2)], (g, [a, b, c]) =>
      g.op1('Gemm', [a!, b!, c!], { transA: tA, transB: tB }),
    );
  }
});

test('shapes: MatMul with a vector, Gemm transposes; unsupported gradients are named', () => {
  const g = new Graph('t');
  const m = g.input('m', 'float32', ['n', 4]);
  const v = g.input('v', 'float32', [4]);
  assert.equal(g.op1('MatMul', [m, v]).shape, ['n']);
  assert.equal(g.op1('Gemm', [m, g.input('w', 'float32', [3, 4])], { transB: 1 }).shape, ['n', 3]);
  assert.throws(() => g.op1('Gemm', [m, v]), /Gemm needs 2-D operands/);
  const loss = (y: ReturnType<Graph['op1']>) => g.op1('ReduceSum', [y], { keepdims: 0 });
  assert.throws(
    () => gradients(g, loss(g.op1('MatMul', [m, v])), [v]),
    /MatMul gradient needs rank >= 2 operands, 'v' has 1 rank/,
  );
  const w = g.input('w2', 'float32', [4, 2]);
  assert.throws(
    () => gradients(g, loss(g.op1('Gemm', [m, w], { alpha: { float: 2 } })), [w]),
    /Gemm '.*' with alpha\/beta other than 1 is not supported/,
  );
});

test.run();
