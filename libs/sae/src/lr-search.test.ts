import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRng } from '@saetrace/engine';
import { saeConfig } from './config.ts';
import { chooseRate, PAPER_LR_GRID, searchLearningRate, type LrSearchRow } from './lr-search.ts';
import { trainSae } from './trainer.ts';

const d = 6,
  n = 12,
  k = 2,
  B = 32;
function unitRows(seed: string, count: number): Float32Array[] {
  const r = runRng(seed);
  return Array.from({ length: count }, () => {
    const x = r.normalArray(B * d);
    for (let i = 0; i < B; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[i * d + j]! ** 2;
      for (let j = 0; j < d; j++) x[i * d + j]! /= Math.sqrt(s);
    }
    return x;
  });
}
const train = unitRows('train', 10);
const valid = unitRows('valid', 2);
async function* source() {
  for (const x of train) yield x;
}

test('validation metrics every few steps and after the last one; training time excludes them', async () => {
  const config = saeConfig({ d, n, k, lr: 1e-2, warmupSteps: 2, batchSize: B });
  const r = await trainSae({
    config,
    batches: source(),
    steps: 10,
    validation: { batches: () => valid, every: 4 },
    session: { threads: 1 },
  });
  assert.equal(
    r.validation.map((v) => v.step),
    [4, 8, 10],
  );
  for (const v of r.validation) {
    assert.is(v.tokens, 2 * B);
    assert.ok(v.l0 > 0 && v.l0 <= k && v.mse > 0 && v.fvu > 0 && v.deadFraction >= 0 && v.deadFraction < 1);
  }
  assert.ok(r.validation[2]!.mse < r.validation[0]!.mse * 1.5);
  assert.ok(r.seconds > 0);
});

test('learning-rate search over a grid picks the lowest validation MSE; a diverging rate is kept as Infinity', async () => {
  assert.equal(PAPER_LR_GRID, [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3]);
  const config = saeConfig({ d, n, k, warmupSteps: 1, batchSize: B });
  const huge = train.map((x) => Float32Array.from(x, (v) => v * 1e18));
  const { rows, best } = await searchLearningRate({
    config,
    batches: () =>
      (async function* () {
        for (const x of huge) yield x;
      })(),
    steps: 6,
    validation: () => [Float32Array.from(valid[0]!, (v) => v * 1e18)],
    grid: [1e-3, 1e32],
    session: { threads: 1 },
  });
  assert.is(rows.length, 2);
  assert.is(rows[1]!.mse, Infinity);
  assert.is(best.lr, 1e-3);
  assert.ok(Number.isFinite(best.mse));
  const ok = await searchLearningRate({
    config,
    batches: source,
    steps: 6,
    validation: () => valid,
    grid: [1e-4, 2e-2],
    session: { threads: 1 },
  });
  assert.is(ok.best.mse, Math.min(...ok.rows.map((r) => r.mse)));
  await searchLearningRate({ config, batches: source, steps: 1, validation: () => valid, grid: [] }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /grid is empty/),
  );
  await searchLearningRate({
    config,
    batches: () =>
      (async function* () {
        yield new Float32Array(3);
      })(),
    steps: 1,
    validation: () => valid,
    grid: [1e-3],
  }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /batch 1 has/),
  );
});

test('chooseRate: the lowest MSE, or the smallest rate within the tie tolerance of it', () => {
  const row = (lr: number, mse: number): LrSearchRow => ({ lr, mse, fvu: mse, l0: 2, deadFraction: 0, seconds: 1 });
  // Figure 11's near-tie: 0.005 lowest by 0.03% on one CPU, 0.002 lowest by 0.7% on another.
  const rows = [row(0.001, 0.0011286), row(0.002, 0.0010458822), row(0.005, 0.0010456151), row(0.0001, Infinity)];
  assert.is(chooseRate(rows, 0).lr, 0.005);
  assert.is(chooseRate(rows, 0.01).lr, 0.002);
  assert.is(chooseRate([row(0.002, 0.0012), row(0.005, 0.001)], 0.01).lr, 0.005);
  assert.throws(() => chooseRate([], 0.01), /no rows/);
  assert.throws(() => chooseRate(rows, -1), /tieRtol must be >= 0/);
});

test('AuxK on: dead latents get an aux loss each step and change training; bad AuxK settings are named', async () => {
  const base = saeConfig({ d, n, k, lr: 1e-2, warmupSteps: 2, batchSize: B });
  assert.is(base.auxK.k, n);
  // deadAfterTokens 0: every latent counts as dead, so the aux latents reconstruct part of the residual.
  const a = await trainSae({
    config: { ...base, auxK: { k: 4, coef: 1 / 32, deadAfterTokens: 0 } },
    batches: source(),
    steps: 6,
    session: { threads: 1 },
  });
  // With nothing dead the aux reconstruction is empty: the aux loss is the residual's own MSE and changes nothing.
  const none = await trainSae({
    config: { ...base, auxK: { k: 4, coef: 1 / 32, deadAfterTokens: 1e9 } },
    batches: source(),
    steps: 6,
    session: { threads: 1 },
  });
  const p = await trainSae({ config: base, batches: source(), steps: 6, session: { threads: 1 } });
  assert.ok(a.log.every((l) => Number.isFinite(l.auxLoss) && l.auxLoss! >= 0));
  assert.ok(
    a.log.every((l) => Math.abs(l.auxLoss! - l.loss) > 1e-4 * l.loss),
    'dead latents contribute a non-empty aux reconstruction',
  );
  assert.ok(none.log.every((l) => Math.abs(l.auxLoss! - l.loss) < 1e-6 * l.loss));
  assert.is(p.log[0]!.auxLoss, undefined);
  assert.ok(a.params.W_enc.some((v, i) => v !== p.params.W_enc[i]));
  assert.equal(Array.from(none.params.W_enc), Array.from(p.params.W_enc));
  assert.throws(
    () => saeConfig({ d, n, k, auxK: { k: n + 1, coef: 0, deadAfterTokens: 1 } }),
    /auxK.k must be an integer in \[1, n\], got 13/,
  );
  assert.throws(() => saeConfig({ d, n, k, auxK: { k: 2, coef: -1, deadAfterTokens: 1 } }), /auxK.coef must be >= 0/);
});

test.run();
