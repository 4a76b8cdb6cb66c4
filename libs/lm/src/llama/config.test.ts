import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLlamaConfig } from './config.ts';

const base = {
  model_type: 'llama',
  hidden_size: 3072,
  intermediate_size: 8192,
  num_hidden_layers: 28,
  num_attention_heads: 24,
  num_key_value_heads: 24,
  vocab_size: 99584,
};

test('a config whose weight matrix would not fit one array names the keys, the size and the memory', () => {
  assert.is(parseLlamaConfig(base).vocabSize, 99584);
  assert.throws(
    () => parseLlamaConfig({ ...base, vocab_size: 400000 }, 'm/config.json'),
    /m\/config\.json: vocab_size x hidden_size = 400000 x 3072 = 1228800000 weights in one matrix, 4\.6 GiB of float32, over the limit of 1073741824 \(4 GiB\)/,
  );
  assert.throws(
    () => parseLlamaConfig({ ...base, intermediate_size: 500000 }),
    /intermediate_size x hidden_size = 500000 x 3072/,
  );
});

test('rope settings are read from rope_parameters (transformers >= 5) and from top-level rope_theta / rope_scaling', () => {
  const d = parseLlamaConfig(base);
  assert.is(d.ropeTheta, 10000);
  assert.equal(d.rope, { type: 'default' });
  const p5 = parseLlamaConfig({ ...base, rope_parameters: { rope_theta: 500000, rope_type: 'default' } });
  assert.is(p5.ropeTheta, 500000);
  assert.equal(p5.rope, { type: 'default' });
  assert.is(parseLlamaConfig({ ...base, rope_theta: 250000 }).ropeTheta, 250000);
  assert.equal(
    parseLlamaConfig({ ...base, rope_parameters: { rope_theta: 10000, rope_type: 'linear', factor: 2 } }).rope,
    { type: 'linear', factor: 2 },
  );
  assert.equal(parseLlamaConfig({ ...base, rope_scaling: { type: 'linear', factor: 4 } }).rope, {
    type: 'linear',
    factor: 4,
  });
  const l3 = {
    rope_type: 'llama3',
    factor: 8,
    low_freq_factor: 1,
    high_freq_factor: 4,
    original_max_position_embeddings: 8192,
  };
  assert.equal(parseLlamaConfig({ ...base, rope_scaling: l3 }).rope, {
    type: 'llama3',
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositionEmbeddings: 8192,
  });
});

test('an unsupported rope type or a missing factor is refused by key and type, never ignored', () => {
  for (const t of ['dynamic', 'yarn', 'longrope', 'su']) {
    assert.throws(
      () =>
        parseLlamaConfig({ ...base, rope_parameters: { rope_theta: 10000, rope_type: t, factor: 2 } }, 'm/config.json'),
      new RegExp(
        `m/config\\.json: 'rope_parameters' rope type "${t}" is not supported \\(supported: default, linear, llama3\\)`,
      ),
    );
    assert.throws(
      () => parseLlamaConfig({ ...base, rope_scaling: { type: t, factor: 2 } }),
      new RegExp(`'rope_scaling' rope type "${t}" is not supported`),
    );
  }
  assert.throws(
    () => parseLlamaConfig({ ...base, rope_parameters: { rope_type: 'linear' } }),
    /'rope_parameters\.factor' must be a positive number for rope type "linear", got undefined/,
  );
  assert.throws(
    () =>
      parseLlamaConfig({
        ...base,
        rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 },
      }),
    /'rope_scaling\.original_max_position_embeddings' must be a positive number/,
  );
  assert.throws(() => parseLlamaConfig({ ...base, rope_parameters: 'x' }), /'rope_parameters' must be an object/);
});

test('config keys that change the maths saetrace does not implement are refused by name', () => {
  assert.throws(
    () => parseLlamaConfig({ ...base, attention_bias: 'yes' }, 'm/config.json'),
    /m\/config\.json: 'attention_bias' must be true or false, got "yes"/,
  );
  assert.throws(
    () => parseLlamaConfig({ ...base, hidden_act: 'gelu' }),
    /hidden_act "gelu" is not supported \(supported: silu\)/,
  );
  assert.throws(() => parseLlamaConfig({ ...base, pretraining_tp: 2 }), /pretraining_tp 2 is not supported/);
  assert.throws(() => parseLlamaConfig({ ...base, sliding_window: 4096 }), /sliding_window 4096 is not supported/);
  assert.throws(
    () => parseLlamaConfig({ ...base, use_sliding_window: true, sliding_window: 4096 }),
    /use_sliding_window true is not supported/,
  );
  // The values transformers writes for a plain Llama pass.
  const plain = parseLlamaConfig({
    ...base,
    attention_bias: false,
    mlp_bias: false,
    pretraining_tp: 1,
    sliding_window: null,
    use_sliding_window: false,
  });
  assert.is(plain.hiddenSize, 3072);
  assert.is(parseLlamaConfig({ ...base, sliding_window: 4096, use_sliding_window: false }).hiddenSize, 3072);
});

test('attention_bias and mlp_bias are read (their *.bias tensors join the parameters; fixtures in libs/lm/fixtures/hf/bias)', () => {
  const c = parseLlamaConfig({ ...base, attention_bias: true, mlp_bias: true });
  assert.ok(c.attentionBias && c.mlpBias);
  const off = parseLlamaConfig(base);
  assert.ok(!off.attentionBias && !off.mlpBias);
});

test.run();
