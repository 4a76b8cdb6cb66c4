import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saeConfig } from './config.ts';

test('SAE shapes whose arrays would pass 4 GiB are refused naming the spec keys and the memory', () => {
  assert.throws(
    () => saeConfig({ d: 3072, n: 2 ** 19, k: 32 }),
    /SAE config: n x d \(sae\.n against the model width\) = 524288 x 3072 = 1610612736 floats, 6\.0 GiB in one array, over the limit of 1073741824 \(4 GiB\); lower sae\.n or sae\.batchSize in the spec/,
  );
  assert.throws(
    () => saeConfig({ d: 64, n: 65536, k: 32, batchSize: 32768 }),
    /batchSize x n \(sae\.batchSize x sae\.n\) = 32768 x 65536 = 2147483648 floats, 8\.0 GiB/,
  );
  // The paper's SAE (n 32768 on width 3072, batch 32768) is inside.
  assert.is(saeConfig({ d: 3072, n: 32768, k: 32, batchSize: 32768 }).n, 32768);
});

test.run();
