import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRng, Session, type HostTensor } from '@saetrace/engine';
import { FusedSaeStep } from './fused-step.ts';
import { nativeSparseStep, nativeStepAvailable } from './native-kernel.ts';
import { buildSaeStep, SAE_PARAMS, saeParamShapes } from './step-graph.ts';
import type { SaeParams } from './init.ts';

const B = 64,
  d = 24,
  n = 96,
  k = 6,
  auxK = 5;

function problem(seed: string) {
  const r = runRng(seed);
  const x = r.normalArray(B * d);
  for (let b = 0; b < B; b++) {
    let q = 0;
    for (let i = 0; i < d; i++) q += x[b * d + i]! ** 2;
    for (let i = 0; i < d; i++) x[b * d + i] = x[b * d + i]! / Math.sqrt(q);
  }
  const shapes = saeParamShapes(d, n);
  const params = {} as SaeParams;
  for (const p of SAE_PARAMS)
    params[p] = r.normalArray(
      shapes[p].reduce((a, c) => a * c, 1),
      p === 'b_enc' ? 0.05 : 0.3,
    );
  const dead = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  return { x, params, dead };
}

const copy = (p: SaeParams): SaeParams =>
  Object.fromEntries(SAE_PARAMS.map((q) => [q, Float32Array.from(p[q])])) as SaeParams;
const zeros = (): SaeParams =>
  Object.fromEntries(
    SAE_PARAMS.map((q) => [q, new Float32Array(saeParamShapes(d, n)[q].reduce((a, c) => a * c, 1))]),
  ) as SaeParams;

/** Within rtol of the array's largest magnitude, plus atol. */
function close(a: Float32Array, b: Float32Array, what: string, rtol: number, atol = 1e-9): void {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++)
    assert.ok(
      Math.abs(a[i]! - b[i]!) <= rtol * scale + atol,
      `${what}[${i}]: native ${a[i]} onnx ${b[i]} (scale ${scale})`,
    );
}

test('the native kernel is built here (npm ci runs tools/native/build.mjs)', () => {
  assert.ok(nativeStepAvailable(), 'libs/sae/native/build/sae_step.node is missing: run `npm run build:native`');
});

for (const withAux of [false, true]) {
  test(`fused step matches the onnxruntime sparse step over 4 Adam steps${withAux ? ' with AuxK' : ''}`, async () => {
    const { x, params, dead } = problem(withAux ? 'aux' : 'main');
    const o = { d, n, k, batch: B, ...(withAux ? { auxK } : {}) };
    const ref = await Session.create(buildSaeStep({ ...o, variant: 'sparse', mode: 'train' }), { threads: 1 });
    const fused = await FusedSaeStep.create(o, { threads: 2 });
    let rp = copy(params),
      rm = zeros(),
      rv = zeros();
    const np = copy(params),
      nm = zeros(),
      nv = zeros();
    let lrSum = 0;
    for (let t = 1; t <= 4; t++) {
      const lr = 0.01 * t;
      lrSum += lr;
      const feeds: Record<string, HostTensor> = {
        x: { dtype: 'float32', shape: [B, d], data: x },
        lr: { dtype: 'float32', shape: [], data: Float32Array.of(lr) },
        t: { dtype: 'float32', shape: [], data: Float32Array.of(t) },
      };
      if (withAux) {
        feeds.dead = { dtype: 'float32', shape: [n], data: dead };
        feeds.aux_coef = { dtype: 'float32', shape: [], data: Float32Array.of(0.5) };
      }
      for (const p of SAE_PARAMS) {
        const shape = saeParamShapes(d, n)[p];
        feeds[p] = { dtype: 'float32', shape, data: rp[p] };
        feeds[`m_${p}`] = { dtype: 'float32', shape, data: rm[p] };
        feeds[`v_${p}`] = { dtype: 'float32', shape, data: rv[p] };
      }
      const out = await ref.run(feeds);
      const r = await fused.run(x, np, nm, nv, lr, t, withAux ? { dead, coef: 0.5 } : undefined);
      assert.ok(r.updated);
      assert.ok(Math.abs(r.loss - (out.loss!.data as Float32Array)[0]!) < 1e-5 * r.loss, `loss at step ${t}`);
      assert.ok(Math.abs(r.fvu - (out.fvu!.data as Float32Array)[0]!) < 1e-5 * r.fvu, `fvu at step ${t}`);
      if (withAux)
        assert.ok(
          Math.abs(r.auxLoss! - (out.aux_loss!.data as Float32Array)[0]!) < 1e-5 * r.auxLoss!,
          `aux loss at step ${t}`,
        );
      assert.equal(
        Array.from(r.idx),
        Array.from(out.idx!.data as BigInt64Array, Number),
        `active latents at step ${t}`,
      );
      rp = {} as SaeParams;
      rm = {} as SaeParams;
      rv = {} as SaeParams;
      for (const p of SAE_PARAMS) {
        rp[p] = out[`new_${p}`]!.data as Float32Array;
        rm[p] = out[`new_m_${p}`]!.data as Float32Array;
        rv[p] = out[`new_v_${p}`]!.data as Float32Array;
      }
      // Adam divides by sqrt(v): a summation-order difference in a small gradient moves its update by a share of
      // lr, so parameters are held to 1e-3 of the learning rates so far; the moments (the gradients) to fp32 rounding.
      for (const p of SAE_PARAMS) {
        close(np[p], rp[p], `${p} step ${t}`, 0, 1e-3 * lrSum);
        close(nm[p], rm[p], `m_${p} step ${t}`, 2e-5);
        close(nv[p], rv[p], `v_${p} step ${t}`, 1e-4);
      }
    }
    await ref.release();
    await fused.release();
  });
}

test('the kernel writes the same bytes for 1, 2 and 3 threads (fixed reduction chunks)', () => {
  // Large enough (B (k + auxK) d = 8.4M multiply-adds) that the kernel really splits it three ways.
  const TB = 4096,
    td = 64,
    tn = 256,
    tk = 24,
    ta = 8;
  const r = runRng('codes');
  const x = r.normalArray(TB * td, 0.1);
  const start = {} as SaeParams;
  for (const p of SAE_PARAMS)
    start[p] = r.normalArray(
      saeParamShapes(td, tn)[p].reduce((a, c) => a * c, 1),
      0.2,
    );
  const vals = Float32Array.from({ length: TB * tk }, () => Math.abs(r.normal()));
  const idx = Int32Array.from({ length: TB * tk }, () => r.int(tn));
  const aux = {
    k: ta,
    vals: Float32Array.from({ length: TB * ta }, () => Math.abs(r.normal())),
    idx: Int32Array.from({ length: TB * ta }, () => r.int(tn)),
    coef: 0.25,
  };
  const results = [1, 2, 3].map((threads) => {
    const p = copy(start);
    const m = Object.fromEntries(SAE_PARAMS.map((q) => [q, new Float32Array(p[q].length)])) as SaeParams;
    const v = Object.fromEntries(SAE_PARAMS.map((q) => [q, new Float32Array(p[q].length)])) as SaeParams;
    const res = nativeSparseStep({ B: TB, d: td, n: tn, k: tk, x, vals, idx, aux, lr: 1e-2, t: 1, threads }, p, m, v);
    return {
      res,
      bytes: SAE_PARAMS.map(
        (q) =>
          Buffer.from(p[q].buffer).toString('base64') +
          Buffer.from(m[q].buffer).toString('base64') +
          Buffer.from(v[q].buffer).toString('base64'),
      ).join('|'),
    };
  });
  assert.equal(
    results.map((q) => q.res.threadsUsed),
    [1, 2, 3],
  );
  assert.is(results[1]!.bytes, results[0]!.bytes);
  assert.is(results[2]!.bytes, results[0]!.bytes);
  assert.equal({ ...results[1]!.res, threadsUsed: 0 }, { ...results[0]!.res, threadsUsed: 0 });
  // A small step is not worth a second thread: same bytes, one thread.
  const { x: sx, params } = problem('small');
  const one = nativeSparseStep(
    {
      B,
      d,
      n,
      k,
      x: sx,
      vals: vals.subarray(0, B * k),
      idx: Int32Array.from(idx.subarray(0, B * k), (i) => i % n),
      lr: 1e-2,
      t: 1,
      threads: 2,
    },
    copy(params),
    zeros(),
    zeros(),
  );
  assert.is(one.threadsUsed, 1);
});

test('a non-finite loss changes nothing and says so', () => {
  const { x, params } = problem('nan');
  params.W_dec[5] = Number.POSITIVE_INFINITY;
  const vals = new Float32Array(B * k).fill(1);
  const idx = Int32Array.from({ length: B * k }, (_, i) => i % n);
  const p = copy(params),
    m = zeros(),
    v = zeros();
  const res = nativeSparseStep({ B, d, n, k, x, vals, idx, lr: 1e-2, t: 1, threads: 2 }, p, m, v);
  assert.is(res.updated, false);
  assert.ok(!Number.isFinite(res.loss));
  for (const q of SAE_PARAMS) {
    assert.equal(Array.from(p[q]), Array.from(params[q]), q);
    assert.ok(m[q].every((z) => z === 0));
  }
});

test('bad arguments are errors naming the argument, and bad indices never write out of bounds', () => {
  const { x, params } = problem('bad');
  const vals = new Float32Array(B * k);
  const idx = new Int32Array(B * k);
  const p = copy(params),
    m = zeros(),
    v = zeros();
  assert.throws(
    () => nativeSparseStep({ B, d, n, k, x: x.subarray(1), vals, idx, lr: 1, t: 1, threads: 1 }, p, m, v),
    /argument 'x' must be a Float32Array of length 1536 \(got length 1535\)/,
  );
  assert.throws(
    () => nativeSparseStep({ B, d, n, k, x, vals, idx: new Int32Array(3), lr: 1, t: 1, threads: 1 }, p, m, v),
    /argument 'idx'/,
  );
  assert.throws(
    () =>
      nativeSparseStep(
        { B, d, n, k, x, vals, idx, lr: 1, t: 1, threads: 1 },
        { ...p, W_dec: new Float32Array(4) },
        m,
        v,
      ),
    /argument 'W_dec'/,
  );
  assert.throws(
    () =>
      nativeSparseStep(
        { B, d, n, k, x, vals, idx: idx.map((_, i) => (i === 7 ? n : 0)), lr: 1, t: 1, threads: 1 },
        p,
        m,
        v,
      ),
    /outside \[0, n\)/,
  );
  assert.throws(
    () => nativeSparseStep({ B, d, n, k: n + 1, x, vals, idx, lr: 1, t: 1, threads: 1 }, p, m, v),
    /dims must satisfy/,
  );
  for (const q of SAE_PARAMS) assert.equal(Array.from(p[q]), Array.from(params[q]), `${q} untouched by a refused call`);
});

test('FusedSaeStep refuses a GPU provider, a wrong batch and a missing AuxK mask', async () => {
  try {
    await FusedSaeStep.create({ d, n, k, batch: B }, { provider: 'cuda' });
    assert.unreachable();
  } catch (e) {
    assert.match(String(e), /runs on the CPU/);
  }
  const f = await FusedSaeStep.create({ d, n, k, batch: B, auxK }, { threads: 1 });
  const { x, params } = problem('shape');
  try {
    await f.run(x.subarray(d), params, zeros(), zeros(), 1e-3, 1, { dead: new Float32Array(n), coef: 1 });
    assert.unreachable();
  } catch (e) {
    assert.match(String(e), /x has 1512 values, expected 64 x 24/);
  }
  try {
    await f.run(x, params, zeros(), zeros(), 1e-3, 1);
    assert.unreachable();
  } catch (e) {
    assert.match(String(e), /aux must be given exactly/);
  }
  await f.release();
});

test.run();
