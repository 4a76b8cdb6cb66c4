import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { runRng, Session } from '@saetrace/engine';
import { SAE_ADAM } from './config.ts';
import { buildSaeStep, SAE_PARAMS, saeParamShapes, type SaeParamName } from './step-graph.ts';
tf.env().set('PROD', true); // no "install our node backend" banner: tfjs-core log.js warn() is silent under PROD

await tf.setBackend('cpu');
const d = 6,
  n = 10,
  k = 3,
  B = 8;

/** tfjs's autodiff of the same loss, the top-k set fixed as a one-hot mask (TopK has no tfjs gradient). */
function tfjsGrads(x: Float32Array, p: Record<SaeParamName, Float32Array>) {
  const xs = tf.tensor2d(x, [B, d]);
  const pre0 = tf.relu(
    tf.add(
      tf.matMul(tf.sub(xs, tf.tensor1d(p.b_dec)), tf.tensor2d(p.W_enc, [n, d]), false, true),
      tf.tensor1d(p.b_enc),
    ),
  );
  const { indices } = tf.topk(pre0, k);
  const mask = tf.sum(tf.oneHot(indices, n), 1); // [B, n]
  const loss = (We: tf.Tensor, be: tf.Tensor, Wd: tf.Tensor, bd: tf.Tensor): tf.Scalar => {
    const z = tf.mul(tf.relu(tf.add(tf.matMul(tf.sub(xs, bd), We, false, true), be)), mask);
    const e = tf.sub(tf.add(tf.matMul(z, Wd), bd), xs);
    return tf.div(tf.sum(tf.square(e)), B) as tf.Scalar;
  };
  const shapes = saeParamShapes(d, n);
  const { value, grads } = tf.valueAndGrads((...a: tf.Tensor[]) => loss(a[0]!, a[1]!, a[2]!, a[3]!))(
    SAE_PARAMS.map((q) => tf.tensor(p[q], shapes[q])),
  );
  return {
    loss: value.dataSync()[0]!,
    grads: Object.fromEntries(SAE_PARAMS.map((q, i) => [q, grads[i]!.dataSync() as Float32Array])) as Record<
      SaeParamName,
      Float32Array
    >,
  };
}

function inputs(seed: string) {
  const r = runRng(seed);
  const x = r.normalArray(B * d);
  const p = {
    W_enc: r.normalArray(n * d, 0.4),
    b_enc: r.normalArray(n, 0.1),
    W_dec: r.normalArray(n * d, 0.4),
    b_dec: r.normalArray(d, 0.1),
  };
  return { x, p };
}

test('loss gradients of the sparse step equal tfjs autodiff (float32)', async () => {
  const { x, p } = inputs('tfjs-grad');
  const shapes = saeParamShapes(d, n);
  const s = await Session.create(buildSaeStep({ d, n, k, batch: B, variant: 'sparse', mode: 'grads' }), { threads: 1 });
  const feeds = Object.fromEntries([
    ['x', { dtype: 'float32' as const, shape: [B, d], data: x }],
    ...SAE_PARAMS.map((q) => [q, { dtype: 'float32' as const, shape: shapes[q], data: p[q] }]),
  ]);
  const out = await s.run(feeds);
  const ref = tfjsGrads(x, p);
  assert.ok(Math.abs((out.loss!.data as Float32Array)[0]! - ref.loss) < 1e-5 * Math.max(1, ref.loss));
  for (const q of SAE_PARAMS) {
    const a = out[`grad_${q}`]!.data as Float32Array;
    const b = ref.grads[q];
    for (let i = 0; i < a.length; i++)
      assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5 + 1e-4 * Math.abs(b[i]!), `${q}[${i}] ours ${a[i]} tfjs ${b[i]}`);
  }
  await s.release();
});

test('one full training step (Adam, eps 6.25e-10, decoder renormalisation) equals Adam applied to tfjs gradients', async () => {
  const { x, p } = inputs('tfjs-step');
  const shapes = saeParamShapes(d, n);
  const lr = 1e-2,
    t = 1;
  const s = await Session.create(buildSaeStep({ d, n, k, batch: B, variant: 'sparse', mode: 'train' }), { threads: 1 });
  const f32 = (shape: number[], data: Float32Array) => ({ dtype: 'float32' as const, shape, data });
  const feeds: Record<string, ReturnType<typeof f32>> = {
    x: f32([B, d], x),
    lr: f32([], Float32Array.of(lr)),
    t: f32([], Float32Array.of(t)),
  };
  for (const q of SAE_PARAMS) {
    feeds[q] = f32(shapes[q], p[q]);
    feeds[`m_${q}`] = f32(shapes[q], new Float32Array(p[q].length));
    feeds[`v_${q}`] = f32(shapes[q], new Float32Array(p[q].length));
  }
  const out = await s.run(feeds);
  const { grads } = tfjsGrads(x, p);
  const { beta1, beta2, eps } = SAE_ADAM;
  for (const q of SAE_PARAMS) {
    const g = grads[q];
    const next = p[q].map((w, i) => {
      const m = (1 - beta1) * g[i]!;
      const v = (1 - beta2) * g[i]! ** 2;
      return w - (lr * (m / (1 - beta1 ** t))) / (Math.sqrt(v / (1 - beta2 ** t)) + eps);
    });
    if (q === 'W_dec')
      for (let j = 0; j < n; j++) {
        let s2 = 0;
        for (let i = 0; i < d; i++) s2 += next[j * d + i]! ** 2;
        for (let i = 0; i < d; i++) next[j * d + i]! /= Math.sqrt(s2);
      }
    const got = out[`new_${q}`]!.data as Float32Array;
    for (let i = 0; i < got.length; i++)
      assert.ok(Math.abs(got[i]! - next[i]!) < 1e-5, `${q}[${i}] ours ${got[i]} tfjs+adam ${next[i]}`);
  }
  await s.release();
});

test.run();
