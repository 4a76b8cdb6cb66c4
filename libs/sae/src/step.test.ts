import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradients, Graph, runRng, Session, type Value } from '@saetrace/engine';
import { buildSaeStep, SAE_PARAMS } from './step-graph.ts';
import { geometricMedian, sumOfDistances } from './geometric-median.ts';
import { initSae, roundToBf16 } from './init.ts';

const d = 5,
  n = 7,
  k = 3,
  B = 4;

function feeds64(seed: string) {
  const r = runRng(seed);
  const f = (shape: number[], std = 1) => ({
    dtype: 'float64' as const,
    shape,
    data: Float64Array.from(
      r.normalArray(
        shape.reduce((a, b) => a * b, 1),
        std,
      ),
    ),
  });
  const bEnc = f([n], 0.1);
  // A positive encoder bias keeps every top-k pre-activation away from the ReLU kink for the finite differences.
  for (let i = 0; i < n; i++) (bEnc.data as Float64Array)[i] = 2 + i * 0.37;
  return { x: f([B, d]), W_enc: f([n, d], 0.3), b_enc: bEnc, W_dec: f([n, d], 0.5), b_dec: f([d], 0.1) };
}

async function grads(variant: 'sparse' | 'dense', feeds: ReturnType<typeof feeds64>) {
  const s = await Session.create(buildSaeStep({ d, n, k, batch: B, variant, mode: 'grads', dtype: 'float64' }), {
    threads: 1,
  });
  return s.run(feeds);
}

test('sparse and dense step gradients agree, and match central finite differences of the loss', async () => {
  const f = feeds64('g');
  const sp = await grads('sparse', f);
  const de = await grads('dense', f);
  for (const p of SAE_PARAMS) {
    const a = sp[`grad_${p}`]!.data as Float64Array;
    const b = de[`grad_${p}`]!.data as Float64Array;
    for (let i = 0; i < a.length; i++)
      assert.ok(Math.abs(a[i]! - b[i]!) < 1e-10, `${p}[${i}] sparse ${a[i]} dense ${b[i]}`);
  }
  const lossAt = async (feeds: typeof f) => ((await grads('sparse', feeds)).loss!.data as Float64Array)[0]!;
  const h = 1e-6;
  for (const p of SAE_PARAMS) {
    const data = f[p].data as Float64Array;
    const analytic = sp[`grad_${p}`]!.data as Float64Array;
    for (let i = 0; i < data.length; i += 3) {
      const v = data[i]!;
      data[i] = v + h;
      const lp = await lossAt(f);
      data[i] = v - h;
      const lm = await lossAt(f);
      data[i] = v;
      const num = (lp - lm) / (2 * h);
      assert.ok(
        Math.abs(num - analytic[i]!) < 1e-6 * Math.max(1, Math.abs(num)),
        `${p}[${i}] fd ${num} analytic ${analytic[i]}`,
      );
    }
  }
});

test('hand-derived gradients match the engine autodiff of the same forward (an independent derivation)', async () => {
  const f = feeds64('a');
  const g = new Graph('auto');
  const P = Object.fromEntries(SAE_PARAMS.map((p) => [p, g.input(p, 'float64', [...f[p].shape])])) as Record<
    (typeof SAE_PARAMS)[number],
    Value
  >;
  const x = g.input('x', 'float64', [B, d]);
  const pre = g.op1('Add', [
    g.op1('MatMul', [g.op1('Sub', [x, P.b_dec]), g.op1('Transpose', [P.W_enc], { perm: [1, 0] })]),
    P.b_enc,
  ]);
  const [vals, idx] = g.op('TopK', [g.op1('Relu', [pre]), g.ints([k])], { axis: -1 }) as [Value, Value];
  const xhat = g.op1('Add', [
    g.op1('Reshape', [
      g.op1('MatMul', [g.op1('Unsqueeze', [vals, g.ints([1])]), g.op1('Gather', [P.W_dec, idx], { axis: 0 })]),
      g.ints([B, d]),
    ]),
    P.b_dec,
  ]);
  const e = g.op1('Sub', [xhat, x]);
  const loss = g.op1('Div', [
    g.op1('ReduceSum', [g.op1('Mul', [e, e])], { keepdims: 0 }),
    g.constant([B], [], 'float64'),
  ]);
  const gs = gradients(
    g,
    loss,
    SAE_PARAMS.map((p) => P[p]),
  );
  gs.forEach((v, i) => g.output(v, `auto_${SAE_PARAMS[i]}`));
  const s = await Session.create(g, { threads: 1 });
  const auto = await s.run(f);
  const sp = await grads('sparse', f);
  for (const p of SAE_PARAMS) {
    const a = auto[`auto_${p}`]!.data as Float64Array;
    const b = sp[`grad_${p}`]!.data as Float64Array;
    for (let i = 0; i < a.length; i++)
      assert.ok(Math.abs(a[i]! - b[i]!) < 1e-10, `${p}[${i}] autodiff ${a[i]} hand ${b[i]}`);
  }
});

test('AuxK: gradients of MSE + coef * aux (residual held constant) match the engine autodiff; dense variant refuses it', async () => {
  const f = feeds64('aux');
  const dead = { dtype: 'float64' as const, shape: [n], data: Float64Array.from([1, 0, 1, 0, 1, 1, 0]) };
  const coef = { dtype: 'float64' as const, shape: [], data: Float64Array.of(0.37) };
  const kAux = 2;
  const s = await Session.create(
    buildSaeStep({ d, n, k, batch: B, variant: 'sparse', mode: 'grads', dtype: 'float64', auxK: kAux }),
    { threads: 1 },
  );
  const ours = await s.run({ ...f, dead, aux_coef: coef });
  const g = new Graph('auto_aux');
  const P = Object.fromEntries(SAE_PARAMS.map((p) => [p, g.input(p, 'float64', [...f[p].shape])])) as Record<
    (typeof SAE_PARAMS)[number],
    Value
  >;
  const x = g.input('x', 'float64', [B, d]);
  const target = g.input('target', 'float64', [B, d]);
  const deadIn = g.input('dead', 'float64', [n]);
  const relu = g.op1('Relu', [
    g.op1('Add', [
      g.op1('MatMul', [g.op1('Sub', [x, P.b_dec]), g.op1('Transpose', [P.W_enc], { perm: [1, 0] })]),
      P.b_enc,
    ]),
  ]);
  const decode = (vals: Value, idx: Value) =>
    g.op1('Reshape', [
      g.op1('MatMul', [g.op1('Unsqueeze', [vals, g.ints([1])]), g.op1('Gather', [P.W_dec, idx], { axis: 0 })]),
      g.ints([B, d]),
    ]);
  const [v, i] = g.op('TopK', [relu, g.ints([k])], { axis: -1 }) as [Value, Value];
  const xhat = g.op1('Add', [decode(v, i), P.b_dec]);
  const [av, ai] = g.op('TopK', [g.op1('Mul', [relu, deadIn]), g.ints([kAux])], { axis: -1 }) as [Value, Value];
  const sqMean = (a: Value) =>
    g.op1('Div', [g.op1('ReduceSum', [g.op1('Mul', [a, a])], { keepdims: 0 }), g.constant([B], [], 'float64')]);
  const total = g.op1('Add', [
    sqMean(g.op1('Sub', [xhat, x])),
    g.op1('Mul', [sqMean(g.op1('Sub', [decode(av, ai), target])), g.constant([0.37], [], 'float64')]),
  ]);
  gradients(
    g,
    total,
    SAE_PARAMS.map((p) => P[p]),
  ).forEach((gv, j) => g.output(gv, `auto_${SAE_PARAMS[j]}`));
  g.output(xhat, 'xhat');
  const auto = await Session.create(g, { threads: 1 });
  const zero = { dtype: 'float64' as const, shape: [B, d], data: new Float64Array(B * d) };
  const xh = (await auto.run({ ...f, dead, target: zero })).xhat!.data as Float64Array;
  const tgt = Float64Array.from(f.x.data as Float64Array, (xv, j) => xv - xh[j]!);
  const ref = await auto.run({ ...f, dead, target: { ...zero, data: tgt } });
  for (const p of SAE_PARAMS) {
    const a = ref[`auto_${p}`]!.data as Float64Array;
    const b = ours[`grad_${p}`]!.data as Float64Array;
    for (let j = 0; j < a.length; j++)
      assert.ok(Math.abs(a[j]! - b[j]!) < 1e-10, `${p}[${j}] autodiff ${a[j]} hand ${b[j]}`);
  }
  const plain = (await grads('sparse', f)).grad_W_dec!.data as Float64Array;
  assert.ok(
    plain.some((val, j) => Math.abs(val - (ours.grad_W_dec!.data as Float64Array)[j]!) > 1e-6),
    'the aux term changes the gradient',
  );
  assert.ok(((ours.aux_loss!.data as Float64Array)[0] as number) > 0);
  assert.throws(
    () => buildSaeStep({ d, n, k, batch: B, variant: 'dense', mode: 'grads', auxK: 2 }),
    /sparse variant only/,
  );
});

test('geometric median: no worse than any data point and than a fine brute-force grid in 2-D', () => {
  const pts = Float32Array.from([0, 0, 4, 0, 0, 3, 10, 10, 1, 1]);
  const { median } = geometricMedian(pts, 5, 2);
  const best = sumOfDistances(pts, 5, 2, median);
  for (let r = 0; r < 5; r++) assert.ok(best <= sumOfDistances(pts, 5, 2, pts.subarray(r * 2, r * 2 + 2)) + 1e-4);
  let gridBest = Infinity;
  for (let a = -1; a <= 5; a += 0.01)
    for (let b = -1; b <= 5; b += 0.01) gridBest = Math.min(gridBest, sumOfDistances(pts, 5, 2, [a, b]));
  assert.ok(best <= gridBest + 1e-3, `weiszfeld ${best} grid ${gridBest}`);
  assert.throws(() => geometricMedian(pts, 3, 2), /10 values for 3 rows/);
});

test("init: the authors' nn.Linear default encoder (|row|^2 ~ 1/3, entries within 1/sqrt(d)), unit decoder rows along the same directions, zero b_enc; bf16 rounding", () => {
  const d = 64,
    n = 512;
  const x = runRng(1).normalArray(20 * d);
  const p = initSae(d, n, 3, x, 20);
  const bound = 1 / Math.sqrt(d);
  assert.ok(
    p.W_enc.every((v) => Math.abs(v) <= bound),
    'encoder entries within +-1/sqrt(d)',
  );
  let meanSq = 0;
  for (let j = 0; j < n; j++) {
    let se = 0,
      sd = 0,
      dot = 0;
    for (let i = 0; i < d; i++) {
      const e = p.W_enc[j * d + i]!,
        w = p.W_dec[j * d + i]!;
      se += e * e;
      sd += w * w;
      dot += e * w;
    }
    assert.ok(Math.abs(sd - 1) < 1e-6, `decoder row ${j} norm^2 ${sd}`);
    assert.ok(Math.abs(dot / Math.sqrt(se * sd) - 1) < 1e-6, `decoder row ${j} is not along encoder row ${j}`);
    meanSq += se / n;
  }
  // E|row|^2 = d * (2 bound)^2 / 12 = 1/3; the mean of n rows has sd about sqrt(4 / (45 d n)) ~ 1.5e-3 here.
  assert.ok(Math.abs(meanSq - 1 / 3) < 0.01, `mean encoder |row|^2 ${meanSq}, expected 1/3`);
  assert.ok(p.b_enc.every((v) => v === 0));
  assert.equal(Array.from(initSae(d, n, 3, x, 20).W_enc), Array.from(p.W_enc), 'same seed, same init');
  assert.not.equal(Array.from(initSae(d, n, 4, x, 20).W_enc), Array.from(p.W_enc), 'another seed, another init');
  assert.equal(Array.from(roundToBf16(Float32Array.from([1, 1.00390625, 1.01171875, 3.14159, Infinity]))), [
    1,
    1,
    1.015625,
    3.140625,
    Infinity,
  ]);
});

test.run();
