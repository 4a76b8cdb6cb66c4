import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradCheck } from '../autodiff/grad-check.ts';
import { Graph } from '../graph/graph.ts';
import { Session } from '../runtime/session.ts';
import { crossEntropy, rmsNorm, silu } from './nn.ts';

test('cross-entropy equals the hand-computed mean negative log-likelihood, weighted or not', async () => {
  const g = new Graph('ce');
  const logits = g.input('l', 'float32', [2, 3]);
  const t = g.input('t', 'int64', [2]);
  const w = g.input('w', 'float32', [2]);
  g.output(crossEntropy(g, logits, t), 'mean');
  g.output(crossEntropy(g, logits, t, w), 'weighted');
  const s = await Session.create(g, { threads: 1 });
  const L = [1, 2, 3, 0, 0, 0];
  const o = await s.run({
    l: { dtype: 'float32', shape: [2, 3], data: Float32Array.from(L) },
    t: { dtype: 'int64', shape: [2], data: BigInt64Array.from([2n, 0n]) },
    w: { dtype: 'float32', shape: [2], data: Float32Array.from([1, 0]) },
  });
  const nll0 = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
  const nll1 = Math.log(3);
  assert.ok(Math.abs((o.mean!.data as Float32Array)[0]! - (nll0 + nll1) / 2) < 1e-6);
  assert.ok(Math.abs((o.weighted!.data as Float32Array)[0]! - nll0) < 1e-6);
  assert.throws(() => crossEntropy(g, logits, w), /targets must be int64/);
});

test('rmsNorm, SiLU and cross-entropy have correct gradients', async () => {
  const r = await gradCheck(
    [
      { name: 'x', shape: [3, 4] },
      { name: 'w', shape: [4] },
    ],
    (g, [x, w]) => silu(g, rmsNorm(g, x!, w!, 1e-5)),
  );
  assert.ok(r.maxRelError < 1e-6, `rmsNorm/silu ${r.maxRelError}`);
  const c = await gradCheck(
    [
      { name: 'l', shape: [3, 5] },
      { name: 't', shape: [3], values: [4, 0, 2], dtype: 'int64' },
    ],
    (g, [l, t]) => g.op1('Unsqueeze', [crossEntropy(g, l!, t!), g.ints([0])]),
  );
  assert.ok(c.maxRelError < 1e-6, `cross-entropy ${c.maxRelError}`);
});

test.run();
