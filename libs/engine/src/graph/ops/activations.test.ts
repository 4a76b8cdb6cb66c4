import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../graph.ts';
import { checkGrad, normal } from './testing.ts';

test('Sigmoid, Tanh and Relu', async () => {
  await checkGrad('Sigmoid', [normal('a', 5)], (g, [a]) => g.op1('Sigmoid', [a!]));
  await checkGrad('Tanh', [normal('a', 5)], (g, [a]) => g.op1('Tanh', [a!]));
  await checkGrad('Relu', [{ name: 'a', shape: [6], values: [-1.5, -0.2, 0.3, 1.1, 2, -3] }], (g, [a]) =>
    g.op1('Relu', [a!]),
  );
});

test('softmax and log-softmax along an axis', async () => {
  await checkGrad('Softmax', [normal('a', 2, 5)], (g, [a]) => g.op1('Softmax', [a!], { axis: -1 }));
  await checkGrad('LogSoftmax', [normal('a', 3, 4)], (g, [a]) => g.op1('LogSoftmax', [a!], { axis: 1 }));
  const g = new Graph('t');
  assert.throws(() => g.op1('Softmax', [g.input('x', 'float32', [2, 3])], { axis: 2 }), /axis 2 out of range/);
});

test.run();
