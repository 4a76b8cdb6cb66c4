import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRng, Rng } from './rng.ts';

test('same seed and stream give the same numbers; streams are independent of each other', () => {
  const a = runRng(7).stream('init');
  const b = runRng(7).stream('init');
  assert.equal([a.next(), a.next()], [b.next(), b.next()]);
  const c = runRng(7).stream('shuffle');
  assert.not.equal(runRng(7).stream('init').next(), c.next());
  // Adding a stream does not move another.
  const r = runRng(7);
  r.stream('new-one').next();
  assert.is(r.stream('init').next(), runRng(7).stream('init').next());
});

test('normal has mean 0 and variance 1 within sampling error', () => {
  const x = runRng(1).normalArray(20000);
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const v = x.reduce((s, t) => s + (t - mean) ** 2, 0) / x.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(v - 1) < 0.05, `var ${v}`);
});

test('sample draws distinct indices; misuse throws', () => {
  const s = new Rng('x').sample(10, 10);
  assert.equal(
    [...s].sort((p, q) => p - q),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.throws(() => new Rng('x').sample(3, 4), /cannot draw 4 of 3/);
  assert.throws(() => new Rng('x').int(0), /positive integer/);
  const arr = [1, 2, 3, 4];
  assert.equal(new Rng('x').shuffle(arr).sort(), [1, 2, 3, 4]);
});

test.run();
