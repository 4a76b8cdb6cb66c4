import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../graph/graph.ts';
import { Session } from '../runtime/session.ts';
import { adamUpdate, ADAM_DEFAULTS } from './adam.ts';
import { warmupConstant, warmupCosine } from './schedule.ts';

/** Adam(W) written out by hand, the reference the graph is checked against. */
function adamRef(p: number[], gs: number[][], lr: number, b1: number, b2: number, eps: number, wd: number): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  gs.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mh = m[i]! / (1 - b1 ** t);
      const vh = v[i]! / (1 - b2 ** t);
      p[i] = p[i]! - lr * (mh / (Math.sqrt(vh) + eps) + wd * p[i]!);
    }
  });
  return p;
}

for (const wd of [0, 0.1]) {
  test(`graph Adam${wd ? 'W' : ''} matches a hand-written reference over three steps`, async () => {
    const cfg = { ...ADAM_DEFAULTS, weightDecay: wd, eps: 6.25e-10 };
    const g = new Graph('adam');
    const [p, gr, m, v] = ['p', 'g', 'm', 'v'].map((n) => g.input(n, 'float32', [3]));
    const lr = g.input('lr', 'float32', []);
    const t = g.input('t', 'float32', []);
    const u = adamUpdate(g, p!, gr!, m!, v!, lr, t, cfg);
    g.output(u.param, 'p1');
    g.output(u.m, 'm1');
    g.output(u.v, 'v1');
    const s = await Session.create(g, { threads: 1 });
    const grads = [
      [0.5, -1, 2],
      [0.1, 0.3, -0.2],
      [1, 1, 1],
    ];
    let P: Float32Array = Float32Array.from([1, 2, 3]);
    let M: Float32Array = new Float32Array(3);
    let V: Float32Array = new Float32Array(3);
    for (let k = 0; k < 3; k++) {
      const f = (d: Float32Array) => ({ dtype: 'float32' as const, shape: [3], data: d });
      const o = await s.run({
        p: f(P),
        g: f(Float32Array.from(grads[k]!)),
        m: f(M),
        v: f(V),
        lr: { dtype: 'float32', shape: [], data: Float32Array.of(0.01) },
        t: { dtype: 'float32', shape: [], data: Float32Array.of(k + 1) },
      });
      P = o.p1!.data as Float32Array;
      M = o.m1!.data as Float32Array;
      V = o.v1!.data as Float32Array;
    }
    const ref = adamRef([1, 2, 3], grads, 0.01, cfg.beta1, cfg.beta2, cfg.eps, wd);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(P[i]! - ref[i]!) < 1e-6, `${P[i]} vs ${ref[i]}`);
  });
}

test('schedules: linear warm-up then constant; warm-up then cosine to a floor', () => {
  assert.is(warmupConstant(1, 1e-3, 10), 1e-4);
  assert.is(warmupConstant(10, 1e-3, 10), 1e-3);
  assert.is(warmupConstant(500, 1e-3, 10), 1e-3);
  assert.ok(Math.abs(warmupCosine(5, 1, 10, 100) - 0.5) < 1e-12);
  assert.is(warmupCosine(10, 1, 10, 100), 1);
  assert.ok(Math.abs(warmupCosine(100, 1, 10, 100) - 0.1) < 1e-12);
  assert.ok(Math.abs(warmupCosine(55, 1, 10, 100) - 0.55) < 1e-12);
  assert.throws(() => warmupConstant(0, 1, 1), /1-based/);
  assert.throws(() => warmupCosine(0, 1, 1, 2), /1-based/);
});

test.run();
