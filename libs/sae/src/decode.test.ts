import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeMasked } from './decode.ts';

test('decodeMasked sums only selected active features, without b_dec; a wrong mask length is named', () => {
  const d = 2;
  const W_dec = Float32Array.from([1, 0, 0, 1, 1, 1]); // 3 features
  const codes = { rows: 2, k: 2, values: Float32Array.from([2, 3, 0.5, 0]), indices: Int32Array.from([0, 2, 1, 0]) };
  assert.equal(Array.from(decodeMasked(codes, W_dec, d, [true, false, true])), [5, 3, 0, 0]);
  assert.equal(Array.from(decodeMasked(codes, W_dec, d, Uint8Array.from([0, 1, 0]))), [0, 0, 0, 0.5]);
  assert.throws(() => decodeMasked(codes, W_dec, d, [true]), /mask has 1 entries, W_dec has 3 rows of 2/);
});

test.run();
