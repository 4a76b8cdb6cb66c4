import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradients } from '../../autodiff/gradients.ts';
import { Graph } from '../graph.ts';
import { checkGrad, indices, normal } from './testing.ts';

test('gathers: an embedding lookup with repeated ids, GatherElements, GatherND', async () => {
  await checkGrad(
    'Gather (embedding, repeated ids)',
    [normal('w', 5, 3), indices('i', [2, 3], [0, 4, 4, 1, 0, 2])],
    (g, [w, i]) => g.op1('Gather', [w!, i!], { axis: 0 }),
  );
  await checkGrad('GatherElements', [normal('a', 3, 4), indices('i', [3, 2], [0, 3, 1, 1, 2, 0])], (g, [a, i]) =>
    g.op1('GatherElements', [a!, i!], { axis: 1 }),
  );
  await checkGrad('GatherND', [normal('a', 3, 4), indices('i', [2, 2], [0, 1, 2, 3])], (g, [a, i]) =>
    g.op1('GatherND', [a!, i!]),
  );
});

test('scatters with and without reduction add', async () => {
  await checkGrad(
    'ScatterElements add',
    [normal('d', 3, 4), indices('i', [3, 2], [0, 3, 1, 1, 2, 0]), normal('u', 3, 2)],
    (g, [d, i, u]) => g.op1('ScatterElements', [d!, i!, u!], { axis: 1, reduction: 'add' }),
  );
  await checkGrad(
    'ScatterElements none',
    [normal('d', 3, 4), indices('i', [3, 2], [0, 3, 1, 2, 2, 0]), normal('u', 3, 2)],
    (g, [d, i, u]) => g.op1('ScatterElements', [d!, i!, u!], { axis: 1 }),
  );
  await checkGrad(
    'ScatterND add',
    [normal('d', 4, 3), indices('i', [2, 1], [1, 3]), normal('u', 2, 3)],
    (g, [d, i, u]) => g.op1('ScatterND', [d!, i!, u!], { reduction: 'add' }),
  );
  await checkGrad(
    'ScatterND none',
    [normal('d', 4, 3), indices('i', [2, 1], [1, 3]), normal('u', 2, 3)],
    (g, [d, i, u]) => g.op1('ScatterND', [d!, i!, u!]),
  );
});

test('TopK: values get the gradient, indices are int64; k beyond the axis and Gather off axis 0 are refused', async () => {
  await checkGrad(
    'TopK values',
    [{ name: 'a', shape: [2, 5], values: [0.1, 0.9, 0.4, 0.7, 0.2, 1.3, 0.5, 0.8, 0.3, 1.1] }],
    (g, [a]) => g.op('TopK', [a!, g.ints([2])], { axis: -1 })[0]!,
  );
  const g = new Graph('t');
  const x = g.input('x', 'float32', ['b', 5]);
  const [v, i] = g.op('TopK', [x, g.ints([3])], { axis: -1, largest: 1, sorted: 1 });
  assert.equal([v!.shape, i!.dtype, i!.shape], [['b', 3], 'int64', ['b', 3]]);
  assert.throws(() => g.op('TopK', [x, g.ints([6])], { axis: 1 }), /k=6 exceeds axis size 5/);
  assert.throws(() => g.op1('Gather', [x, x]), /Gather indices must be int64 or int32/);
  const w = g.input('w', 'float32', [3, 4]);
  const picked = g.op1('Gather', [w, g.ints([0, 2])], { axis: 1 });
  assert.throws(
    () => gradients(g, g.op1('ReduceSum', [picked], { keepdims: 0 }), [w]),
    /Gather '.*' is differentiable on axis 0 only/,
  );
});

test.run();
