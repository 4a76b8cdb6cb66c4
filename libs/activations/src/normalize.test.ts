import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { floatsToHalf, fromHalfBits, halfToFloats, toHalfBits } from './half.ts';
import { unitNormRows } from './normalize.ts';

test('unitNormRows scales rows to unit norm, keeps zero rows, checks size', () => {
  const x = new Float32Array([3, 4, 0, 0, -1, 0]);
  unitNormRows(x, 3, 2);
  assert.equal(Array.from(x), [0.6000000238418579, 0.800000011920929, 0, 0, -1, 0]);
  assert.throws(() => unitNormRows(new Float32Array(5), 3, 2), /expected rows\*d = 6/);
});

test('half conversion: exact values, rounding, specials', () => {
  for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, 2 ** -14, -0.333251953125])
    assert.is(fromHalfBits(toHalfBits(v)), v);
  assert.is(toHalfBits(1), 0x3c00);
  assert.is(toHalfBits(1 + 2 ** -11), 0x3c00); // tie rounds to even
  assert.is(toHalfBits(1 + 3 * 2 ** -11), 0x3c02);
  assert.is(fromHalfBits(toHalfBits(1e6)), Infinity);
  assert.is(fromHalfBits(toHalfBits(-Infinity)), -Infinity);
  assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
  assert.is(toHalfBits(1e-9), 0);
  assert.is(fromHalfBits(toHalfBits(3 * 2 ** -25)), 2 ** -23); // subnormal tie to even
  const x = new Float32Array([0.1, -0.7, 0.25]);
  const back = halfToFloats(floatsToHalf(x));
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i]! - x[i]!) < 1e-3);
});

test.run();
