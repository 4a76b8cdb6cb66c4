import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../graph/graph.ts';
import { checkGrad, normal } from '../graph/ops/testing.ts';
import { gradients } from './gradients.ts';

test('fan-out accumulates; unreachable parameters get zeros or an error; unsupported ops are named', async () => {
  await checkGrad('fan-out', [normal('a', 3)], (g, [a]) => g.op1('Mul', [g.op1('Exp', [a!]), g.op1('Tanh', [a!])]));
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
