import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostTensor } from '@saetrace/engine';
import { cacheAfterStep, cacheFromPrefill, keepRows, stepMask } from './kv-cache.ts';

// [rows 3, KV 1, 1, past 2, hd 2]: row r's values are 100r + index.
const t = (rows: number, past: number, base = 0): HostTensor => ({
  dtype: 'float32',
  shape: [rows, 1, 1, past, 2],
  data: Float32Array.from(
    { length: rows * past * 2 },
    (_, i) => base + 100 * Math.floor(i / (past * 2)) + (i % (past * 2)),
  ),
});

test('a prefill cache marks pads, a step mask hides them and shows the new token, a step appends a real position', () => {
  const c = cacheFromPrefill([t(3, 2)], [t(3, 2, 0.5)], [2, 1, 2], 2);
  assert.equal([...c.valid], [1, 1, 1, 0, 1, 1]);
  assert.equal(c.positions, [2, 1, 2]);
  assert.equal([...stepMask(c)], [0, 0, 0, 0, -1e9, 0, 0, 0, 0]);
  const s = cacheAfterStep(c, [t(3, 3)], [t(3, 3)]);
  assert.is(s.past, 3);
  assert.equal([...s.valid], [1, 1, 1, 1, 0, 1, 1, 1, 1]);
  assert.equal(s.positions, [3, 2, 3]);
  assert.throws(() => cacheFromPrefill([t(1, 2)], [t(1, 2)], [3], 2), /lengths\[0\] = 3 is not in \[1, 2\]/);
});

test('keepRows keeps the named rows of every block in order, with their masks and positions; a bad row is a RangeError', () => {
  const c = cacheFromPrefill([t(3, 2)], [t(3, 2, 0.5)], [2, 1, 2], 2);
  const k = keepRows(c, [2, 1]);
  assert.is(k.rows, 2);
  assert.equal(k.k[0]!.shape, [2, 1, 1, 2, 2]);
  assert.equal([...(k.k[0]!.data as Float32Array)], [200, 201, 202, 203, 100, 101, 102, 103]);
  assert.equal([...(k.v[0]!.data as Float32Array)].slice(0, 2), [200.5, 201.5]);
  assert.equal([...k.valid], [1, 1, 1, 0]);
  assert.equal(k.positions, [2, 1]);
  assert.is(keepRows(c, [0, 1, 2]), c);
  assert.throws(
    () => keepRows(c, [3]),
    (e: Error) => e instanceof RangeError && /row 3 is not in \[0, 3\)/.test(e.message),
  );
});

test.run();
