import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRng } from '@saetrace/engine';
import { SaeEncoder } from './encoder.ts';

const d = 5,
  n = 12,
  k = 3;

async function randomEncoder(): Promise<SaeEncoder> {
  const rng = runRng('encoder-test').stream('w');
  return SaeEncoder.create(
    {
      W_enc: rng.normalArray(n * d),
      b_enc: rng.normalArray(n, 0.1),
      W_dec: rng.normalArray(n * d),
      b_dec: rng.normalArray(d, 0.1),
    },
    d,
    n,
    k,
    { threads: 1 },
  );
}

test('encodeAmong over every feature gives encode; over a subset, the top k of those features only', async () => {
  const enc = await randomEncoder();
  const rows = 7;
  const x = runRng('encoder-test')
    .stream('x')
    .normalArray(rows * d);
  const all = await enc.encodeAmong(x, rows, new Set(Array.from({ length: n }, (_, j) => j)));
  const onnx = await enc.encode(x, rows);
  for (let i = 0; i < rows * k; i++) {
    if (onnx.values[i] === 0) continue; // ReLU zeros: onnxruntime's index among them is arbitrary
    assert.is(all.indices[i], onnx.indices[i], `entry ${i}`);
    assert.ok(Math.abs(all.values[i]! - onnx.values[i]!) < 1e-5, `entry ${i}: ${all.values[i]} vs ${onnx.values[i]}`);
  }
  // A subset: a brute-force reference, pre-activations W_enc (x - b_dec) + b_enc by hand.
  const subset = new Set([1, 4, 6, 9]);
  const sub = await enc.encodeAmong(x, rows, subset);
  const rng = runRng('encoder-test').stream('w');
  const W = rng.normalArray(n * d);
  const bEnc = rng.normalArray(n, 0.1);
  rng.normalArray(n * d);
  const bDec = rng.normalArray(d, 0.1);
  for (let r = 0; r < rows; r++) {
    const pre = [...subset]
      .map((f) => {
        let s = bEnc[f]!;
        for (let i = 0; i < d; i++) s += W[f * d + i]! * (x[r * d + i]! - bDec[i]!);
        return { f, v: Math.max(0, s) };
      })
      .filter((p) => p.v > 0)
      .sort((a, b) => b.v - a.v);
    for (let t = 0; t < k; t++) {
      const want = pre[t];
      assert.ok(Math.abs(sub.values[r * k + t]! - (want?.v ?? 0)) < 1e-5, `row ${r} slot ${t}`);
      if (want) assert.is(sub.indices[r * k + t], want.f);
      else assert.ok(subset.has(sub.indices[r * k + t]!) || sub.indices[r * k + t] === 0);
    }
  }
  await enc.encodeAmong(x, rows, new Set([n])).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /feature 12 outside \[0, 12\)/),
  );
  await enc.encodeAmong(x, rows + 1, subset).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /35 values for 8 rows of 5/),
  );
  await enc.release();
});

test.run();
