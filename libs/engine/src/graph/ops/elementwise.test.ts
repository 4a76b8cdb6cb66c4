import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../graph.ts';
import { checkGrad, normal, positive } from './testing.ts';

test('binary arithmetic broadcasts; gradients are summed back over the broadcast axes', async () => {
  await checkGrad('Add', [normal('a', 2, 3), normal('b', 3)], (g, [a, b]) => g.op1('Add', [a!, b!]));
  await checkGrad('Sub', [normal('a', 2, 1), normal('b', 1, 3)], (g, [a, b]) => g.op1('Sub', [a!, b!]));
  await checkGrad('Mul', [normal('a', 2, 3, 2), normal('b', 3, 1)], (g, [a, b]) => g.op1('Mul', [a!, b!]));
  await checkGrad('Div', [normal('a', 2, 3), positive('b', 2, 3)], (g, [a, b]) => g.op1('Div', [a!, b!]));
  await checkGrad('Div scalar', [normal('a', 2, 3), positive('b')], (g, [a, b]) => g.op1('Div', [a!, b!]));
  await checkGrad('Pow const', [positive('a', 2, 3)], (g, [a]) => g.op1('Pow', [a!, g.constant([3], [], 'float64')]));
  await checkGrad('Pow var', [positive('a', 4), positive('p', 4)], (g, [a, p]) => g.op1('Pow', [a!, p!]));
});

test('unary math, Identity and Cast', async () => {
  await checkGrad('Sqrt', [positive('a', 5)], (g, [a]) => g.op1('Sqrt', [a!]));
  await checkGrad('Reciprocal', [positive('a', 5)], (g, [a]) => g.op1('Reciprocal', [a!]));
  await checkGrad('Exp', [normal('a', 5)], (g, [a]) => g.op1('Exp', [a!]));
  await checkGrad('Log', [positive('a', 5)], (g, [a]) => g.op1('Log', [a!]));
  await checkGrad('Neg/Identity', [normal('a', 3)], (g, [a]) => g.op1('Identity', [g.op1('Neg', [a!])]));
  // A float32 round trip needs a step float32 can resolve; the function is linear, so FD stays exact.
  await checkGrad(
    'Cast',
    [{ name: 'a', shape: [3], values: [0.5, -1.25, 2] }],
    (g, [a]) => g.op1('Cast', [g.op1('Cast', [a!], { to: 1 })], { to: 11 }),
    1 / 64,
  );
});

test('Where: the condition gets no gradient, each branch its broadcast share', async () => {
  await checkGrad(
    'Where',
    [{ name: 'c', shape: [2, 3], values: [1, 0, 1, 0, 0, 1], dtype: 'bool' }, normal('a', 2, 3), normal('b', 3)],
    (g, [c, a, b]) => g.op1('Where', [c!, a!, b!]),
  );
});

test('comparisons and logic give bool; Cast maps its code to an element type; mismatches are refused', () => {
  const g = new Graph('t');
  const a = g.input('a', 'float32', ['n', 3]);
  const b = g.input('b', 'float32', [3]);
  const gt = g.op1('Greater', [a, b]);
  assert.equal([gt.dtype, gt.shape], ['bool', ['n', 3]]);
  assert.equal(g.op1('And', [gt, g.op1('Not', [gt])]).dtype, 'bool');
  assert.equal(g.op1('Cast', [a], { to: 7 }).dtype, 'int64');
  assert.throws(() => g.op1('Add', [a, g.input('i', 'int64', [3])]), /element types differ: float32 vs int64/);
  assert.throws(() => g.op1('Where', [a, a, b]), /Where condition must be bool/);
  assert.throws(() => g.op1('Add', [a, g.input('c', 'float32', [4])]), /shapes \[n,3\] and \[4\] do not broadcast/);
});

test.run();
