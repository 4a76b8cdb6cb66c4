import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PairCounts, rowOf } from './counts.ts';

test('pair counts agree with a Map through several growths, and come out as sorted rows', () => {
  const pc = new PairCounts(16);
  const ref = new Map<string, number>();
  // 3 features x 500 tokens, each pair added (f + t) % 3 + 1 times, in a scrambled order.
  for (let rep = 0; rep < 3; rep++)
    for (let i = 0; i < 1500; i++) {
      const j = (i * 7919) % 1500;
      const f = j % 3;
      const t = Math.floor(j / 3) * 11;
      if (rep < ((f + t) % 3) + 1) {
        pc.add(f, t);
        ref.set(`${f},${t}`, (ref.get(`${f},${t}`) ?? 0) + 1);
      }
    }
  assert.is(pc.size, 1500);
  for (const [k, c] of ref) {
    const [f, t] = k.split(',').map(Number) as [number, number];
    assert.is(pc.get(f, t), c, k);
  }
  assert.is(pc.get(0, 1), 0, 'a pair never added');
  const rows = pc.toRows(4);
  assert.equal(Array.from(rows.offsets), [0, 500, 1000, 1500, 1500]);
  const r1 = rowOf(rows, 1);
  assert.equal(
    r1.map((x) => x.id),
    Array.from({ length: 500 }, (_, i) => i * 11),
    'ascending token ids',
  );
  assert.equal(
    r1.slice(0, 3).map((x) => x.count),
    [2, 1, 3],
  );
  assert.equal(rowOf(rows, 3), []);
  assert.throws(() => pc.toRows(2), /feature 2 outside 0\.\.1/);
});

test.run();
