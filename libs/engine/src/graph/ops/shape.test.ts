import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Session } from '../../runtime/session.ts';
import { Graph } from '../graph.ts';
import { checkGrad, normal } from './testing.ts';

test('layout ops: Reshape, Transpose, Unsqueeze/Squeeze, Expand, Flatten', async () => {
  await checkGrad('Reshape', [normal('a', 2, 6)], (g, [a]) => g.op1('Reshape', [a!, g.ints([3, 4])]));
  await checkGrad('Transpose', [normal('a', 2, 3, 4)], (g, [a]) => g.op1('Transpose', [a!], { perm: [2, 0, 1] }));
  await checkGrad('Unsqueeze/Squeeze', [normal('a', 2, 3)], (g, [a]) =>
    g.op1('Mul', [
      g.op1('Unsqueeze', [a!, g.ints([1])]),
      g.op1('Unsqueeze', [g.op1('Squeeze', [g.op1('Unsqueeze', [a!, g.ints([0])]), g.ints([0])]), g.ints([1])]),
    ]),
  );
  await checkGrad('Expand', [normal('a', 3, 1)], (g, [a]) => g.op1('Expand', [a!, g.ints([2, 3, 4])]));
  await checkGrad('Flatten', [normal('a', 2, 3, 2)], (g, [a]) => g.op1('Flatten', [a!], { axis: 2 }));
});

test('Slice and Concat', async () => {
  await checkGrad('Slice', [normal('a', 4, 5)], (g, [a]) =>
    g.op1('Slice', [a!, g.ints([1, -3]), g.ints([3, 5]), g.ints([0, 1])]),
  );
  await checkGrad('Concat', [normal('a', 2, 3), normal('b', 2, 1)], (g, [a, b]) =>
    g.op1('Concat', [a!, b!, a!], { axis: 1 }),
  );
});

test('Flatten shapes: symbolic dims make a product unknown, axis 0 gives a leading 1', () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [2, 3]);
  assert.equal(g.op1('Flatten', [g.input('y', 'float32', [2, 'n', 4])], { axis: 1 }).shape, [2, '?']);
  assert.equal(g.op1('Flatten', [x], { axis: 0 }).shape, [1, 6]);
  assert.equal(g.op1('Flatten', [x]).shape, [2, 3]);
  assert.throws(() => g.op1('Flatten', [x], { axis: 3 }), /axis 3 out of range for rank 2/);
});

test('Split, Pad, Size and ConstantOfShape infer their shapes and run as inferred', async () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [2, 5]);
  const [a, b] = g.op('Split', [x, g.ints([2, 3])], { axis: 1 }, { outputs: 2 });
  assert.equal(
    [a!.shape, b!.shape],
    [
      [2, 2],
      [2, 3],
    ],
  );
  const p = g.op1('Pad', [x, g.ints([0, 1, 1, 2])]);
  assert.equal(p.shape, [3, 8]);
  assert.equal(g.op1('Size', [x]).shape, []);
  const z = g.op1('ConstantOfShape', [g.ints([4, 2])], {
    value: { tensor: { dtype: 'float32', shape: [1], data: Float32Array.from([7]) } },
  });
  assert.equal([z.dtype, z.shape], ['float32', [4, 2]]);
  assert.throws(
    () => g.op('Split', [x, g.ints([2, 2])], { axis: 1 }, { outputs: 2 }),
    /split sizes sum to 4, axis 1 has 5/,
  );
  assert.throws(() => g.op1('Pad', [x, g.ints([1, 1])]), /pads has 2 entries, needs 4 for rank 2/);
  g.output(b!, 'b');
  g.output(p, 'p');
  g.output(z, 'z');
  const sess = await Session.create(g, { threads: 1 });
  const out = await sess.run({
    x: { dtype: 'float32', shape: [2, 5], data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) },
  });
  assert.equal([...out.b!.shape], [2, 3]);
  assert.equal([...out.p!.shape], [3, 8]);
  assert.equal(Array.from(out.z!.data as Float32Array), [7, 7, 7, 7, 7, 7, 7, 7]);
  await sess.release();
});

test.run();
