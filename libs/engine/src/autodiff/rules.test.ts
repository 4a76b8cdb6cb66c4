import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../graph/graph.ts';
import type { Value } from '../graph/types.ts';
import { gradCheck, type GradCheckInput } from './grad-check.ts';
import { gradients } from './gradients.ts';

const TOL = 1e-6;

async function check(
  name: string,
  inputs: GradCheckInput[],
  f: (g: Graph, xs: Value[]) => Value,
  h?: number,
): Promise<void> {
  const r = await gradCheck(inputs, f, h === undefined ? {} : { h });
  assert.ok(r.maxRelError < TOL, `${name}: max relative error ${r.maxRelError} (abs ${r.maxAbsError})`);
  assert.ok(r.analytic.length > 0);
}

const x = (name: string, ...shape: number[]): GradCheckInput => ({ name, shape });
const pos = (name: string, ...shape: number[]): GradCheckInput => ({
  name,
  shape,
  values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.5 + ((i * 7) % 5) * 0.3),
});

test('elementwise binary ops with broadcasting reduce gradients over broadcast axes', async () => {
  await check('Add', [x('a', 2, 3), x('b', 3)], (g, [a, b]) => g.op1('Add', [a!, b!]));
  await check('Sub', [x('a', 2, 1), x('b', 1, 3)], (g, [a, b]) => g.op1('Sub', [a!, b!]));
  await check('Mul', [x('a', 2, 3, 2), x('b', 3, 1)], (g, [a, b]) => g.op1('Mul', [a!, b!]));
  await check('Div', [x('a', 2, 3), pos('b', 2, 3)], (g, [a, b]) => g.op1('Div', [a!, b!]));
  await check('Div scalar', [x('a', 2, 3), pos('b')], (g, [a, b]) => g.op1('Div', [a!, b!]));
  await check('Pow const', [pos('a', 2, 3)], (g, [a]) => g.op1('Pow', [a!, g.constant([3], [], 'float64')]));
  await check('Pow var', [pos('a', 4), pos('p', 4)], (g, [a, p]) => g.op1('Pow', [a!, p!]));
});

test('unary ops', async () => {
  await check('Sqrt', [pos('a', 5)], (g, [a]) => g.op1('Sqrt', [a!]));
  await check('Reciprocal', [pos('a', 5)], (g, [a]) => g.op1('Reciprocal', [a!]));
  await check('Exp', [x('a', 5)], (g, [a]) => g.op1('Exp', [a!]));
  await check('Log', [pos('a', 5)], (g, [a]) => g.op1('Log', [a!]));
  await check('Sigmoid', [x('a', 5)], (g, [a]) => g.op1('Sigmoid', [a!]));
  await check('Tanh', [x('a', 5)], (g, [a]) => g.op1('Tanh', [a!]));
  await check('Relu', [{ name: 'a', shape: [6], values: [-1.5, -0.2, 0.3, 1.1, 2, -3] }], (g, [a]) =>
    g.op1('Relu', [a!]),
  );
  await check('Neg/Identity', [x('a', 3)], (g, [a]) => g.op1('Identity', [g.op1('Neg', [a!])]));
  // A float32 round trip needs a step float32 can resolve; the function is linear, so FD stays exact.
  await check(
    'Cast',
    [{ name: 'a', shape: [3], values: [0.5, -1.25, 2] }],
    (g, [a]) => g.op1('Cast', [g.op1('Cast', [a!], { to: 1 })], { to: 11 }),
    1 / 64,
  );
});

test('matrix products: MatMul (batched, broadcast batch) and Gemm with transposes and bias', async () => {
  await check('MatMul', [x('a', 3, 4), x('b', 4, 2)], (g, [a, b]) => g.op1('MatMul', [a!, b!]));
  await check('MatMul batched', [x('a', 2, 3, 4), x('b', 2, 4, 2)], (g, [a, b]) => g.op1('MatMul', [a!, b!]));
  await check('MatMul broadcast', [x('a', 2, 3, 4), x('b', 4, 2)], (g, [a, b]) => g.op1('MatMul', [a!, b!]));
  // Same rank, a batch axis of 1 against 3 (grouped-query attention's key heads).
  await check('MatMul broadcast axis', [x('a', 2, 3, 2, 4), x('b', 2, 1, 4, 2)], (g, [a, b]) =>
    g.op1('MatMul', [a!, b!]),
  );
  for (const [tA, tB] of [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ] as const) {
    const sa = tA ? [4, 3] : [3, 4];
    const sb = tB ? [2, 4] : [4, 2];
    await check(`Gemm ${tA}${tB}`, [x('a', ...sa), x('b', ...sb), x('c', 2)], (g, [a, b, c]) =>
      g.op1('Gemm', [a!, b!, c!], { transA: tA, transB: tB }),
    );
  }
});

test('reductions, softmax and log-softmax', async () => {
  await check('ReduceSum axis', [x('a', 2, 3, 4)], (g, [a]) => g.op1('ReduceSum', [a!, g.ints([1])], { keepdims: 0 }));
  await check('ReduceSum keep', [x('a', 2, 3)], (g, [a]) => g.op1('ReduceSum', [a!, g.ints([-1])], { keepdims: 1 }));
  await check('ReduceSum all', [x('a', 2, 3)], (g, [a]) =>
    g.op1('Unsqueeze', [g.op1('ReduceSum', [a!], { keepdims: 0 }), g.ints([0])]),
  );
  await check('ReduceMean', [x('a', 2, 3, 2)], (g, [a]) => g.op1('ReduceMean', [a!, g.ints([0, 2])], { keepdims: 0 }));
  await check('Softmax', [x('a', 2, 5)], (g, [a]) => g.op1('Softmax', [a!], { axis: -1 }));
  await check('LogSoftmax', [x('a', 3, 4)], (g, [a]) => g.op1('LogSoftmax', [a!], { axis: 1 }));
});

test('gathers, scatters and TopK values', async () => {
  const idx = (name: string, shape: number[], values: number[]): GradCheckInput => ({
    name,
    shape,
    values,
    dtype: 'int64',
  });
  await check('Gather (embedding, repeated ids)', [x('w', 5, 3), idx('i', [2, 3], [0, 4, 4, 1, 0, 2])], (g, [w, i]) =>
    g.op1('Gather', [w!, i!], { axis: 0 }),
  );
  await check('GatherElements', [x('a', 3, 4), idx('i', [3, 2], [0, 3, 1, 1, 2, 0])], (g, [a, i]) =>
    g.op1('GatherElements', [a!, i!], { axis: 1 }),
  );
  await check('GatherND', [x('a', 3, 4), idx('i', [2, 2], [0, 1, 2, 3])], (g, [a, i]) => g.op1('GatherND', [a!, i!]));
  await check(
    'ScatterElements add',
    [x('d', 3, 4), idx('i', [3, 2], [0, 3, 1, 1, 2, 0]), x('u', 3, 2)],
    (g, [d, i, u]) => g.op1('ScatterElements', [d!, i!, u!], { axis: 1, reduction: 'add' }),
  );
  await check(
    'ScatterElements none',
    [x('d', 3, 4), idx('i', [3, 2], [0, 3, 1, 2, 2, 0]), x('u', 3, 2)],
    (g, [d, i, u]) => g.op1('ScatterElements', [d!, i!, u!], { axis: 1 }),
  );
  await check('ScatterND add', [x('d', 4, 3), idx('i', [2, 1], [1, 3]), x('u', 2, 3)], (g, [d, i, u]) =>
    g.op1('ScatterND', [d!, i!, u!], { reduction: 'add' }),
  );
  await check('ScatterND none', [x('d', 4, 3), idx('i', [2, 1], [1, 3]), x('u', 2, 3)], (g, [d, i, u]) =>
    g.op1('ScatterND', [d!, i!, u!]),
  );
  await check(
    'TopK values',
    [{ name: 'a', shape: [2, 5], values: [0.1, 0.9, 0.4, 0.7, 0.2, 1.3, 0.5, 0.8, 0.3, 1.1] }],
    (g, [a]) => g.op('TopK', [a!, g.ints([2])], { axis: -1 })[0]!,
  );
});

test('shape ops: Reshape, Transpose, Slice, Concat, Unsqueeze/Squeeze, Where, Expand', async () => {
  await check('Reshape', [x('a', 2, 6)], (g, [a]) => g.op1('Reshape', [a!, g.ints([3, 4])]));
  await check('Transpose', [x('a', 2, 3, 4)], (g, [a]) => g.op1('Transpose', [a!], { perm: [2, 0, 1] }));
  await check('Slice', [x('a', 4, 5)], (g, [a]) =>
    g.op1('Slice', [a!, g.ints([1, -3]), g.ints([3, 5]), g.ints([0, 1])]),
  );
  await check('Concat', [x('a', 2, 3), x('b', 2, 1)], (g, [a, b]) => g.op1('Concat', [a!, b!, a!], { axis: 1 }));
  await check('Unsqueeze/Squeeze', [x('a', 2, 3)], (g, [a]) =>
    g.op1('Mul', [
      g.op1('Unsqueeze', [a!, g.ints([1])]),
      g.op1('Unsqueeze', [g.op1('Squeeze', [g.op1('Unsqueeze', [a!, g.ints([0])]), g.ints([0])]), g.ints([1])]),
    ]),
  );
  await check(
    'Where',
    [{ name: 'c', shape: [2, 3], values: [1, 0, 1, 0, 0, 1], dtype: 'bool' }, x('a', 2, 3), x('b', 3)],
    (g, [c, a, b]) => g.op1('Where', [c!, a!, b!]),
  );
  await check('Expand', [x('a', 3, 1)], (g, [a]) => g.op1('Expand', [a!, g.ints([2, 3, 4])]));
  await check('Flatten', [x('a', 2, 3, 2)], (g, [a]) => g.op1('Flatten', [a!], { axis: 2 }));
});

test('fan-out accumulates; unreachable parameters get zeros or an error; unsupported ops are named', async () => {
  await check('fan-out', [x('a', 3)], (g, [a]) => g.op1('Mul', [g.op1('Exp', [a!]), g.op1('Tanh', [a!])]));
  const g = new Graph('t');
  const a = g.input('a', 'float32', [3]);
  const b = g.input('b', 'float32', [3]);
  const loss = g.op1('ReduceSum', [a], { keepdims: 0 });
  assert.ok(gradients(g, loss, [b])[0]);
  assert.throws(() => gradients(g, loss, [b], { unreachable: 'error' }), /does not depend on 'b'/);
  assert.throws(() => gradients(g, a, [a]), /must be a scalar/);
  const c = g.op1('Sin', [a]);
  assert.throws(
    () => gradients(g, g.op1('ReduceSum', [c], { keepdims: 0 }), [a]),
    /Sin \(node 'Sin_\d+'\) is not differentiable \(libs\/engine\/src\/graph\/ops\/elementwise\.ts marks it so\)/,
  );
  const i = g.input('i', 'int64', [2]);
  assert.throws(() => gradients(g, i, [a]), /is int64, not a float/);
});

test.run();
