import { test } from 'uvu';
import * as assert from 'uvu/assert';
import seedrandom from 'seedrandom';
import { cosineMatrix, featureLineage, maxSimilarityMatching, minCostAssignment } from './lineage.ts';

/** The best total over every injective map of rows to columns (rows <= cols), by enumeration. */
function bruteForceMin(cost: Float64Array, rows: number, cols: number): number {
  let best = Infinity;
  const used = new Uint8Array(cols);
  const go = (i: number, acc: number) => {
    if (i === rows) {
      best = Math.min(best, acc);
      return;
    }
    for (let j = 0; j < cols; j++)
      if (!used[j]) {
        used[j] = 1;
        go(i + 1, acc + (cost[i * cols + j] as number));
        used[j] = 0;
      }
  };
  go(0, 0);
  return best;
}

test('the assignment is a one-to-one map whose cost equals the brute-force optimum on 300 random matrices', () => {
  const rng = seedrandom('lineage');
  for (let t = 0; t < 300; t++) {
    const rows = 1 + Math.floor(rng() * 6);
    const cols = rows + Math.floor(rng() * 3);
    // Integers in half the cases, so ties (several optima) are common.
    const cost = Float64Array.from({ length: rows * cols }, () => (t % 2 ? Math.floor(rng() * 5) : rng() * 2 - 1));
    const a = minCostAssignment(cost, rows, cols);
    assert.is(new Set(a).size, rows, `case ${t}: distinct columns`);
    a.forEach((j) => assert.ok(j >= 0 && j < cols));
    const total = Array.from(a, (j, i) => cost[i * cols + j] as number).reduce((s, x) => s + x, 0);
    assert.ok(
      Math.abs(total - bruteForceMin(cost, rows, cols)) < 1e-9,
      `case ${t}: ${total} vs optimum ${bruteForceMin(cost, rows, cols)}`,
    );
  }
});

test('a greedy-trap matrix: the optimum takes neither largest similarity first', () => {
  // Greedy would take 0.9 (0->0) and then be left with 0.1; the optimum pairs 0->1 and 1->0 (0.8 + 0.8).
  const sim = Float64Array.from([0.9, 0.8, 0.8, 0.1]);
  assert.equal(maxSimilarityMatching(sim, 2, 2), [
    [0, 1],
    [1, 0],
  ]);
  // More rows than columns: each column gets one row, pairs listed by row.
  const tall = Float64Array.from([0.1, 0.9, 0.8, 0.2, 0.5, 0.5]);
  assert.equal(maxSimilarityMatching(tall, 3, 2), [
    [0, 1],
    [1, 0],
  ]);
});

test('bad shapes and non-finite costs are errors naming the problem', () => {
  assert.throws(() => minCostAssignment([1, 2], 2, 1), /2 rows cannot be assigned to 1 columns/);
  assert.throws(() => minCostAssignment([1, 2, 3], 1, 2), /3 costs for a 1 x 2 matrix/);
  assert.throws(() => minCostAssignment([1, NaN], 1, 2), /cost 1 is NaN/);
  assert.throws(() => cosineMatrix(new Float32Array(3), 1, new Float32Array(4), 2, 2), /not \[1, 2\] and \[2, 2\]/);
  assert.throws(
    () =>
      featureLineage(
        { W_dec: new Float32Array(4), features: [2] },
        { W_dec: new Float32Array(4), features: [0] },
        2,
        0.5,
      ),
    /earlier feature 2 is not a row/,
  );
  assert.throws(
    () =>
      featureLineage(
        { W_dec: new Float32Array(4), features: [0] },
        { W_dec: new Float32Array(4), features: [0] },
        2,
        1.5,
      ),
    /threshold must be in/,
  );
});

test('lineage counts persist, split, merge, appear and vanish on constructed directions', () => {
  const d = 4;
  const e = (i: number) => Float32Array.from({ length: d }, (_, c) => (c === i ? 1 : 0));
  const mix = (a: Float32Array, b: Float32Array, w: number) => a.map((x, c) => w * x + (1 - w) * (b[c] as number));
  // Earlier: 0 = e0, 1 = e1, 2 = e2 (vanishes), 3 = e1 + small e0 (merges with 1 into later 1).
  const from = [e(0), e(1), e(2), mix(e(1), e(0), 0.9)];
  // Later: 0 = e0 (persists), 1 = e1, 2 = e3 (appears), 3 = e0 + small e3 (a split of earlier 0).
  const to = [e(0), e(1), mix(e(3), e(2), 0.999), mix(e(0), e(3), 0.85)];
  const flat = (rows: Float32Array[]) => {
    const o = new Float32Array(rows.length * d);
    rows.forEach((r, i) => o.set(r, i * d));
    return o;
  };
  const lin = featureLineage(
    { W_dec: flat(from), features: [0, 1, 2, 3] },
    { W_dec: flat(to), features: [0, 1, 2, 3] },
    d,
    0.7,
  );
  assert.equal(lin.counts, { persist: 2, split: 1, merge: 1, appear: 1, vanish: 1 });
  assert.equal(
    lin.parents.get(1)?.map((l) => l.from),
    [1, 3],
  );
  assert.equal(
    lin.parents.get(3)?.map((l) => [l.from, l.kind]),
    [[0, 'extra']],
  );
  assert.is(lin.parents.get(2), undefined);
  // Dead features left out of the lists take no part.
  const alive = featureLineage({ W_dec: flat(from), features: [0, 1] }, { W_dec: flat(to), features: [0, 1] }, d, 0.7);
  assert.equal(alive.counts, { persist: 2, split: 0, merge: 0, appear: 0, vanish: 0 });
});

test.run();
