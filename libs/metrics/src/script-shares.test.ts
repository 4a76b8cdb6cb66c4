import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tokenScriptShares } from './script-shares.ts';
import type { TokenBatch } from './types.ts';

const batch = (tokenIds: number[], positions: number[], langs: number[]): TokenBatch => ({
  x: new Float32Array(0),
  rows: tokenIds.length,
  tokenIds: Int32Array.from(tokenIds),
  docIds: new Int32Array(tokenIds.length),
  positions: Int32Array.from(positions),
  langs: Uint8Array.from(langs),
});
async function* of(...bs: TokenBatch[]) {
  yield* bs;
}

test('token script shares per document language, BOS positions left out', async () => {
  // ids: 0 BOS (neither), 1 Latin word, 2 kana, 3 digit
  const table = Uint8Array.of(0, 1, 2, 0);
  const [en, ja] = await tokenScriptShares(
    of(batch([0, 1, 1, 3], [0, 1, 2, 3], [0, 0, 0, 0]), batch([0, 2, 1, 3, 2], [0, 1, 2, 3, 4], [1, 1, 1, 1, 1])),
    table,
  );
  assert.equal(en, { tokens: 3, first: 2 / 3, second: 0, neither: 1 / 3 });
  assert.equal(ja, { tokens: 4, first: 1 / 4, second: 2 / 4, neither: 1 / 4 });
  const [none] = await tokenScriptShares(of(), table, 1);
  assert.equal(none, { tokens: 0, first: 0, second: 0, neither: 0 });
  await tokenScriptShares(of(batch([9], [1], [0])), table).then(
    () => assert.unreachable('accepted an id outside the table'),
    (e: Error) => assert.match(e.message, /token id 9 outside the 4-entry script table/),
  );
  await tokenScriptShares(of(batch([1], [1], [2])), table).then(
    () => assert.unreachable('accepted a third language'),
    (e: Error) => assert.match(e.message, /language index 2 >= 2/),
  );
});

test.run();
