import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLlamaConfig } from './config.ts';

const base = { model_type: 'llama', hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 28, num_attention_heads: 24, num_key_value_heads: 24, vocab_size: 99584 };

test('a config whose weight matrix would not fit one array names the keys, the size and the memory', () => {
  assert.is(parseLlamaConfig(base).vocabSize, 99584);
  assert.throws(() => parseLlamaConfig({ ...base, vocab_size: 400000 }, 'm/config.json'), /m\/config\.json: vocab_size x hidden_size = 400000 x 3072 = 1228800000 weights in one matrix, 4\.6 GiB of float32, over the limit of 1073741824 \(4 GiB\)/);
  assert.throws(() => parseLlamaConfig({ ...base, intermediate_size: 500000 }), /intermediate_size x hidden_size = 500000 x 3072/);
});

test.run();
