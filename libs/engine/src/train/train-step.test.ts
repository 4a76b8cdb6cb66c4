import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../graph/graph.ts';
import type { Value } from '../graph/types.ts';
import { add, crossEntropy, matmul, mul, reshape, rmsNorm, scale, silu, transpose } from '../ops/nn.ts';
import { runRng } from '../rng/rng.ts';
import { TrainStep, type ParamSpec } from './train-step.ts';
tf.env().set('PROD', true); // no "install our node backend" banner: tfjs-core log.js warn() is silent under PROD

await tf.setBackend('cpu');

const STEPS = 6;
const LR = 0.01;
const B1 = 0.9,
  B2 = 0.999,
  EPS = 1e-8;

/** The independent oracle: tfjs autodiff on the same model, Adam applied by hand. */
function tfjsTrain(specs: readonly ParamSpec[], lossFn: (p: Record<string, tf.Tensor>) => tf.Scalar): number[] {
  const params: Record<string, tf.Tensor> = {};
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const s of specs) {
    params[s.name] = tf.tensor(s.init, [...s.shape]);
    m[s.name] = new Float32Array(s.init.length);
    v[s.name] = new Float32Array(s.init.length);
  }
  const losses: number[] = [];
  for (let t = 1; t <= STEPS; t++) {
    const names = specs.map((s) => s.name);
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) =>
      lossFn(Object.fromEntries(names.map((n, i) => [n, xs[i] as tf.Tensor]))),
    )(names.map((n) => params[n] as tf.Tensor));
    losses.push(value.dataSync()[0] as number);
    names.forEach((n, i) => {
      const gr = (grads[i] as tf.Tensor).dataSync();
      const p = Float32Array.from((params[n] as tf.Tensor).dataSync());
      const M = m[n] as Float32Array;
      const V = v[n] as Float32Array;
      for (let j = 0; j < p.length; j++) {
        M[j] = B1 * M[j]! + (1 - B1) * gr[j]!;
        V[j] = B2 * V[j]! + (1 - B2) * gr[j]! ** 2;
        p[j] = p[j]! - LR * (M[j]! / (1 - B1 ** t) / (Math.sqrt(V[j]! / (1 - B2 ** t)) + EPS));
      }
      params[n] = tf.tensor(p, (params[n] as tf.Tensor).shape);
    });
  }
  return losses;
}

function spec(name: string, shape: number[], std: number, seed: string): ParamSpec {
  return {
    name,
    shape,
    init: runRng(seed)
      .stream(name)
      .normalArray(
        shape.reduce((a, b) => a * b, 1),
        std,
      ),
  };
}

test('an MLP trained with engine gradients and Adam follows tfjs step by step', async () => {
  const N = 16,
    D = 5,
    H = 12,
    C = 3;
  const rng = runRng('mlp-data');
  const X = rng.normalArray(N * D);
  const Y = BigInt64Array.from({ length: N }, () => BigInt(rng.int(C)));
  const specs = [spec('w1', [D, H], 0.5, 'mlp'), spec('b1', [H], 0.1, 'mlp'), spec('w2', [H, C], 0.5, 'mlp')];
  const ts = await TrainStep.create({
    params: specs,
    data: [
      { name: 'x', dtype: 'float32', shape: [N, D] },
      { name: 'y', dtype: 'int64', shape: [N] },
    ],
    build: (g, p, d) => ({
      loss: crossEntropy(g, matmul(g, g.op1('Tanh', [add(g, matmul(g, d.x!, p.w1!), p.b1!)]), p.w2!), d.y!),
    }),
    adam: { beta1: B1, beta2: B2, eps: EPS },
    session: { threads: 1 },
  });
  const engine: number[] = [];
  for (let s = 0; s < STEPS; s++)
    engine.push(
      (
        await ts.run(
          { x: { dtype: 'float32', shape: [N, D], data: X }, y: { dtype: 'int64', shape: [N], data: Y } },
          LR,
        )
      ).loss,
    );
  const oracle = tfjsTrain(specs, (p) =>
    tf.tidy(
      () =>
        tf.losses.softmaxCrossEntropy(
          tf.oneHot(tf.tensor1d(Array.from(Y, Number), 'int32'), C),
          tf.matMul(
            tf.tanh(tf.add(tf.matMul(tf.tensor(X, [N, D]), p.w1 as tf.Tensor2D), p.b1 as tf.Tensor)),
            p.w2 as tf.Tensor2D,
          ),
        ) as tf.Scalar,
    ),
  );
  for (let s = 0; s < STEPS; s++)
    assert.ok(
      Math.abs(engine[s]! - oracle[s]!) / oracle[s]! < 1e-3,
      `step ${s + 1}: engine ${engine[s]} tfjs ${oracle[s]}`,
    );
  assert.ok(engine[STEPS - 1]! < engine[0]!);
  assert.is(ts.step, STEPS);
  await ts.release();
});

test('a one-block transformer (RMSNorm, causal attention, SiLU MLP, tied embedding) follows tfjs', async () => {
  const B = 2,
    T = 6,
    V = 11,
    D = 8,
    Hh = 2,
    hd = 4,
    F = 16;
  const rng = runRng('tx-data');
  const tokens = Int32Array.from({ length: B * T }, () => rng.int(V));
  const targets = Int32Array.from({ length: B * T }, (_, i) => ((tokens[i] as number) * 3 + 1) % V);
  const mask = Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0));
  const sd = 'tx';
  const specs = [
    spec('emb', [V, D], 0.5, sd),
    spec('n1', [D], 0.1, sd),
    spec('wq', [D, D], 0.3, sd),
    spec('wk', [D, D], 0.3, sd),
    spec('wv', [D, D], 0.3, sd),
    spec('wo', [D, D], 0.3, sd),
    spec('n2', [D], 0.1, sd),
    spec('wg', [D, F], 0.3, sd),
    spec('wu', [D, F], 0.3, sd),
    spec('wd', [F, D], 0.3, sd),
    spec('nf', [D], 0.1, sd),
  ];
  for (const s of specs)
    if (s.name.startsWith('n')) for (let i = 0; i < s.init.length; i++) s.init[i] = 1 + (s.init[i] as number);

  const engineModel = (g: Graph, p: Readonly<Record<string, Value>>, d: Readonly<Record<string, Value>>): Value => {
    const x = g.op1('Gather', [p.emb!, d.tok!], { axis: 0 });
    const h = rmsNorm(g, x, p.n1!, 1e-5);
    const heads = (w: Value) => transpose(g, reshape(g, matmul(g, h, w), [B, T, Hh, hd]), [0, 2, 1, 3]);
    const att = add(
      g,
      scale(g, matmul(g, heads(p.wq!), transpose(g, heads(p.wk!), [0, 1, 3, 2])), 1 / Math.sqrt(hd)),
      d.mask!,
    );
    const o = matmul(
      g,
      reshape(g, transpose(g, matmul(g, g.op1('Softmax', [att], { axis: -1 }), heads(p.wv!)), [0, 2, 1, 3]), [B, T, D]),
      p.wo!,
    );
    const x2 = add(g, x, o);
    const h2 = rmsNorm(g, x2, p.n2!, 1e-5);
    const x3 = add(g, x2, matmul(g, mul(g, silu(g, matmul(g, h2, p.wg!)), matmul(g, h2, p.wu!)), p.wd!));
    const logits = matmul(g, reshape(g, rmsNorm(g, x3, p.nf!, 1e-5), [B * T, D]), transpose(g, p.emb!, [1, 0]));
    return crossEntropy(g, logits, reshape(g, d.tgt!, [B * T]));
  };
  const ts = await TrainStep.create({
    params: specs,
    data: [
      { name: 'tok', dtype: 'int64', shape: [B, T] },
      { name: 'tgt', dtype: 'int64', shape: [B, T] },
      { name: 'mask', dtype: 'float32', shape: [T, T] },
    ],
    build: (g, p, d) => ({ loss: engineModel(g, p, d) }),
    adam: { beta1: B1, beta2: B2, eps: EPS },
    session: { threads: 1 },
  });
  const feeds = {
    tok: { dtype: 'int64' as const, shape: [B, T], data: BigInt64Array.from(tokens, (t) => BigInt(t)) },
    tgt: { dtype: 'int64' as const, shape: [B, T], data: BigInt64Array.from(targets, (t) => BigInt(t)) },
    mask: { dtype: 'float32' as const, shape: [T, T], data: mask },
  };
  const engine: number[] = [];
  for (let s = 0; s < STEPS; s++) engine.push((await ts.run(feeds, LR)).loss);

  const rms = (x: tf.Tensor, w: tf.Tensor) =>
    tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-5))), w);
  const oracle = tfjsTrain(specs, (p) =>
    tf.tidy(() => {
      const x = tf.gather(p.emb!, tf.tensor2d(tokens, [B, T], 'int32'));
      const h = rms(x, p.n1!);
      const heads = (w: tf.Tensor) =>
        tf.transpose(tf.reshape(tf.matMul(h, tf.broadcastTo(w, [B, D, D])), [B, T, Hh, hd]), [0, 2, 1, 3]);
      const att = tf.add(
        tf.mul(tf.matMul(heads(p.wq!), heads(p.wk!), false, true), 1 / Math.sqrt(hd)),
        tf.tensor2d(mask, [T, T]),
      );
      const o = tf.matMul(
        tf.reshape(tf.transpose(tf.matMul(tf.softmax(att), heads(p.wv!)), [0, 2, 1, 3]), [B * T, D]),
        p.wo as tf.Tensor2D,
      );
      const x2 = tf.add(tf.reshape(x, [B * T, D]), o);
      const h2 = rms(x2, p.n2!);
      const gate = tf.matMul(h2 as tf.Tensor2D, p.wg as tf.Tensor2D);
      const x3 = tf.add(
        x2,
        tf.matMul(
          tf.mul(tf.mul(gate, tf.sigmoid(gate)), tf.matMul(h2 as tf.Tensor2D, p.wu as tf.Tensor2D)) as tf.Tensor2D,
          p.wd as tf.Tensor2D,
        ),
      );
      const logits = tf.matMul(rms(x3, p.nf!) as tf.Tensor2D, p.emb as tf.Tensor2D, false, true);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, 'int32'), V), logits) as tf.Scalar;
    }),
  );
  for (let s = 0; s < STEPS; s++)
    assert.ok(
      Math.abs(engine[s]! - oracle[s]!) / oracle[s]! < 1e-3,
      `step ${s + 1}: engine ${engine[s]} tfjs ${oracle[s]}`,
    );
  assert.ok(engine[STEPS - 1]! < engine[0]! - 0.05, `loss fell from ${engine[0]} to ${engine[STEPS - 1]}`);
  const saved = ts.state();
  assert.is(saved.step, STEPS);
  ts.restore({ ...saved, step: 1 });
  assert.is(ts.step, 1);
  assert.throws(() => ts.restore({ ...saved, m: {} }), /m\.emb is missing/);
  await ts.release();
});

test('a non-finite loss stops with the step named and parameters kept', async () => {
  const ts = await TrainStep.create({
    params: [{ name: 'w', shape: [2], init: Float32Array.from([1, 1]) }],
    data: [{ name: 'x', dtype: 'float32', shape: [2] }],
    build: (g, p, d) => ({
      loss: g.op1('ReduceSum', [g.op1('Mul', [p.w!, d.x!])], { keepdims: 0 }),
      extras: { twice: scale(g, p.w!, 2) },
    }),
    session: { threads: 1 },
  });
  const ok = await ts.run({ x: { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) } }, 0.1);
  assert.is(ok.loss, 3);
  assert.equal(Array.from(ok.extras.twice!.data as Float32Array), [2, 2]);
  await ts.run({ x: { dtype: 'float32', shape: [2], data: Float32Array.from([NaN, 2]) } }, 0.1).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /loss is NaN at step 2; parameters were left at step 1/),
  );
  assert.is(ts.step, 1);
  await TrainStep.create({
    params: [{ name: 'w', shape: [3], init: new Float32Array(2) }],
    data: [],
    build: (g, p) => ({ loss: g.op1('ReduceSum', [p.w!], { keepdims: 0 }) }),
  }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /'w' init has 2 values for shape \[3\]/),
  );
  await ts.release();
});

test.run();
