import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRng } from '@saetrace/engine';
import { quantile, randomPairCosines, resolveCosineCut, shareAbove } from './cosine-cut.ts';

test('random-pair cosines: isotropic rows centre on 0, a shared offset moves them up; a quantile cut follows', () => {
  const rows = 400;
  const dim = 64;
  const iso = runRng('iso')
    .stream('e')
    .normalArray(rows * dim);
  const shifted = Float32Array.from(iso, (x, i) => x + 1.0);
  const a = randomPairCosines(iso, dim, 5000);
  const b = randomPairCosines(shifted, dim, 5000);
  assert.ok(Math.abs(quantile(a, 0.5)) < 0.03, `isotropic median ${quantile(a, 0.5)}`);
  // Independent normal rows of dimension 64: cosine sd about 1/sqrt(64) = 0.125, so about 21% exceed 0.1.
  assert.ok(Math.abs(shareAbove(a, 0.1) - 0.21) < 0.04, `isotropic share above 0.1: ${shareAbove(a, 0.1)}`);
  // A common offset as large as the noise: cosines near 0.5, almost all above the paper's 0.1.
  assert.ok(shareAbove(b, 0.1) > 0.98, `shifted share above 0.1: ${shareAbove(b, 0.1)}`);
  // A quantile cut means the same share on both: 1% of random pairs above it.
  for (const e of [iso, shifted]) {
    const cut = resolveCosineCut({ randomPairQuantile: 0.99 }, e, dim);
    assert.ok(Math.abs(shareAbove(randomPairCosines(e, dim, 5000, 'other'), cut) - 0.01) < 0.005);
  }
  assert.is(resolveCosineCut(0.1, iso, dim), 0.1);
  // Seeded: the same pairs, the same values.
  assert.equal(randomPairCosines(iso, dim, 100), randomPairCosines(iso, dim, 100));
});

test('cosine-cut inputs are checked', () => {
  assert.throws(() => randomPairCosines(new Float32Array(8), 8), /at least 2 rows/);
  assert.throws(() => randomPairCosines(new Float32Array(16), 8, 0), /samples/);
  assert.throws(() => quantile([1, 2], 1.5), /q must be in/);
  assert.throws(() => quantile([], 0.5), /no values/);
  assert.is(quantile([1, 2, 3, 4], 0.5), 2);
  assert.is(quantile([1, 2, 3, 4], 1), 4);
  assert.is(shareAbove([0, 0.1, 0.2, 0.3], 0.1), 0.5);
});

test.run();
