import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../graph.ts';
import { checkGrad, normal } from './testing.ts';

test('ReduceSum over given axes, with and without keepdims, and over all axes; ReduceMean', async () => {
  await checkGrad('ReduceSum axis', [normal('a', 2, 3, 4)], (g, [a]) =>
    g.op1('ReduceSum', [a!, g.ints([1])], { keepdims: 0 }),
  );
  await checkGrad('ReduceSum keep', [normal('a', 2, 3)], (g, [a]) =>
    g.op1('ReduceSum', [a!, g.ints([-1])], { keepdims: 1 }),
  );
  await checkGrad('ReduceSum all', [normal('a', 2, 3)], (g, [a]) =>
    g.op1('Unsqueeze', [g.op1('ReduceSum', [a!], { keepdims: 0 }), g.ints([0])]),
  );
  await checkGrad('ReduceMean', [normal('a', 2, 3, 2)], (g, [a]) =>
    g.op1('ReduceMean', [a!, g.ints([0, 2])], { keepdims: 0 }),
  );
});

test('reduced shapes: keepdims defaults to 1, no axes input reduces all, a computed axes input is unknown', () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', ['b', 3, 4]);
  assert.equal(g.op1('ReduceMax', [x, g.ints([-1])]).shape, ['b', 3, 1]);
  assert.equal(g.op1('ReduceL2', [x], { keepdims: 0 }).shape, []);
  const axes = g.op1('Shape', [g.input('a', 'float32', [1])]);
  assert.equal(g.op1('ReduceMin', [x, axes]).shape, null);
  assert.throws(() => g.op1('ReduceSumSquare', [x, g.ints([3])]), /axis 3 out of range for rank 3/);
});

test.run();
