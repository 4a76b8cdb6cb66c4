import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../graph/graph.ts';
import { Session } from '../runtime/session.ts';
import { adamUpdate, ADAM_DEFAULTS, clipGlobalNorm } from './adam.ts';
import { TrainStep } from '../train/train-step.ts';
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

test('global-norm clipping scales every gradient by maxNorm / (norm + 1e-6) only above the cut', async () => {
  for (const [maxNorm, scale] of [
    [1.3, 1.3 / (13 + 1e-6)],
    [100, 1],
  ] as const) {
    const g = new Graph('clip');
    const a = g.input('a', 'float32', [2]);
    const b = g.input('b', 'float32', [1]);
    const c = clipGlobalNorm(g, [a, b], maxNorm);
    g.output(c.grads[0]!, 'a1');
    g.output(c.grads[1]!, 'b1');
    g.output(c.norm, 'n');
    const s = await Session.create(g, { threads: 1 });
    const o = await s.run({
      a: { dtype: 'float32', shape: [2], data: Float32Array.of(3, 4) },
      b: { dtype: 'float32', shape: [1], data: Float32Array.of(12) },
    });
    await s.release();
    assert.ok(Math.abs((o.n!.data as Float32Array)[0]! - 13) < 1e-5);
    const got = [...(o.a1!.data as Float32Array), ...(o.b1!.data as Float32Array)];
    [3, 4, 12].forEach((x, i) => assert.ok(Math.abs(got[i]! - x * scale) < 1e-5, `${got[i]} vs ${x * scale}`));
  }
  assert.throws(() => clipGlobalNorm(new Graph('x'), [], 1), /no gradients/);
  assert.throws(() => clipGlobalNorm(new Graph('x'), [], 0), /maxNorm must be > 0/);
});

test('TrainStep with maxGradNorm follows Adam on clipped gradients and reports the norm before clipping', async () => {
  // loss = 0.5 * sum((w - target)^2), so the gradient is w - target; clipping changes steps 2 and 3 (the first
  // Adam step is scale-free), which is what the reference below checks.
  const target = [10, -20, 5];
  const cfg = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };
  const ts = await TrainStep.create({
    params: [{ name: 'w', shape: [3], init: Float32Array.of(0, 0, 0) }],
    data: [{ name: 'target', dtype: 'float32', shape: [3] }],
    build: (g, p, d) => {
      const diff = g.op1('Sub', [p.w!, d.target!]);
      return {
        loss: g.op1('Mul', [
          g.op1('ReduceSum', [g.op1('Mul', [diff, diff])], { keepdims: 0 }),
          g.constant([0.5], [], 'float32'),
        ]),
      };
    },
    adam: cfg,
    session: { threads: 1 },
  });
  const w = [0, 0, 0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  for (let t = 1; t <= 3; t++) {
    const grad = w.map((x, i) => x - target[i]!);
    const norm = Math.hypot(...grad);
    const k = Math.min(1, cfg.maxGradNorm / (norm + 1e-6));
    const r = await ts.run({ target: { dtype: 'float32', shape: [3], data: Float32Array.from(target) } }, 0.5);
    assert.ok(Math.abs(r.gradNorm! - norm) < 1e-3 * norm, `step ${t}: norm ${r.gradNorm} vs ${norm}`);
    for (let i = 0; i < 3; i++) {
      const gi = grad[i]! * k;
      m[i] = cfg.beta1 * m[i]! + (1 - cfg.beta1) * gi;
      v[i] = cfg.beta2 * v[i]! + (1 - cfg.beta2) * gi * gi;
      w[i] = w[i]! - 0.5 * (m[i]! / (1 - cfg.beta1 ** t) / (Math.sqrt(v[i]! / (1 - cfg.beta2 ** t)) + cfg.eps));
    }
  }
  const got = ts.state().params.w!;
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i]! - w[i]!) < 1e-4, `w[${i}] ${got[i]} vs ${w[i]}`);
  await ts.release();
  const bad = await TrainStep.create({
    params: [{ name: 'w', shape: [1], init: Float32Array.of(0) }],
    data: [],
    build: (g, p) => ({ loss: g.op1('ReduceSum', [p.w!], { keepdims: 0 }) }),
    adam: { maxGradNorm: -1 },
  }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.match(String(bad), /maxGradNorm must be a finite number >= 0, got -1/);
});

interface TorchClipFixture {
  torch: string;
  maxNorm: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  w0: number[];
  B0: number[][];
  steps: {
    lr: number;
    a: number[];
    x: number[][];
    y: number[][];
    loss: number;
    norm: number;
    w: number[];
    B: number[][];
  }[];
}

test('TrainStep with maxGradNorm and AdamW matches torch (clip_grad_norm_ then AdamW, two param groups) step by step', async () => {
  // libs/engine/fixtures/torch/generate.py wrote this; the norms cross max_norm both ways over the eight steps.
  const fx = JSON.parse(readFileSync('libs/engine/fixtures/torch/clip-adamw.json', 'utf8')) as TorchClipFixture;
  assert.ok(fx.steps.some((s) => s.norm > fx.maxNorm) && fx.steps.some((s) => s.norm < fx.maxNorm));
  const f32 = (shape: number[], rows: number[] | number[][]) => ({
    dtype: 'float32' as const,
    shape,
    data: Float32Array.from(rows.flat()),
  });
  const ts = await TrainStep.create({
    params: [
      { name: 'w', shape: [3], init: Float32Array.from(fx.w0) },
      { name: 'B', shape: [2, 2], init: Float32Array.from(fx.B0.flat()), decay: false },
    ],
    data: [
      { name: 'a', dtype: 'float32', shape: [3] },
      { name: 'x', dtype: 'float32', shape: [2, 1] },
      { name: 'y', dtype: 'float32', shape: [2, 1] },
    ],
    build: (g, p, d) => {
      const dw = g.op1('Sub', [p.w!, d.a!]);
      const r = g.op1('Sub', [g.op1('MatMul', [p.B!, d.x!]), d.y!]);
      const half = g.op1('Mul', [
        g.op1('ReduceSum', [g.op1('Mul', [dw, dw])], { keepdims: 0 }),
        g.constant([0.5], [], 'float32'),
      ]);
      return { loss: g.op1('Add', [half, g.op1('ReduceSum', [g.op1('Mul', [r, r])], { keepdims: 0 })]) };
    },
    adam: { beta1: fx.beta1, beta2: fx.beta2, eps: fx.eps, weightDecay: fx.weightDecay, maxGradNorm: fx.maxNorm },
    session: { threads: 1 },
  });
  for (const [i, st] of fx.steps.entries()) {
    const r = await ts.run({ a: f32([3], st.a), x: f32([2, 1], st.x), y: f32([2, 1], st.y) }, st.lr);
    assert.ok(
      Math.abs(r.gradNorm! - st.norm) <= 1e-5 * st.norm,
      `step ${i + 1}: norm ${r.gradNorm} vs torch ${st.norm}`,
    );
    const { w, B } = ts.state().params;
    [...st.w, ...st.B.flat()].forEach((want, j) => {
      const got = j < 3 ? w![j]! : B![j - 3]!;
      assert.ok(
        Math.abs(got - want) <= 2e-5 * Math.max(1, Math.abs(want)),
        `step ${i + 1} param ${j}: ${got} vs torch ${want}`,
      );
    });
  }
  await ts.release();
});

test.run();
