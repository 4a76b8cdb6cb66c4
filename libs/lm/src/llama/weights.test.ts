import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRng, writeSafetensors, type TensorData } from '@saetrace/engine';
import { parseLlamaConfig } from './config.ts';
import { LlamaModel } from './model.ts';
import { ALLOW_NONFINITE_ENV, initLlamaWeights, readLlamaWeights, saveLlamaCheckpoint } from './weights.ts';

const config = parseLlamaConfig({
  model_type: 'llama',
  hidden_size: 8,
  intermediate_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  vocab_size: 16,
  rms_norm_eps: 1e-5,
  max_position_embeddings: 16,
  tie_word_embeddings: true,
});

test('a checkpoint holding NaN or infinity is refused at load, naming the file and tensor; a flag allows it', async () => {
  for (const [value, sharded] of [
    [NaN, false],
    [Infinity, true],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'w-nan-'));
    const w = initLlamaWeights(config, runRng(3).stream('w'));
    const t = w['model.layers.1.mlp.down_proj.weight']!.data as Float32Array;
    t[5] = value;
    t[9] = value;
    await saveLlamaCheckpoint(dir, config, w, sharded ? { maxShardBytes: 1024 } : {});
    const err = await LlamaModel.load(dir, { threads: 1 }).then(
      () => null,
      (e: Error) => e,
    );
    const file = sharded ? 'model-\\d{5}-of-\\d{5}\\.safetensors' : 'model\\.safetensors';
    assert.match(
      err?.message ?? 'no error',
      new RegExp(
        `${dir}/${file}: tensor 'model\\.layers\\.1\\.mlp\\.down_proj\\.weight' holds 2 non-finite values \\(first: ${value} at element 5\\).*set ${ALLOW_NONFINITE_ENV}=1 to load it anyway`,
      ),
    );
    const m = await LlamaModel.load(dir, { threads: 1, allowNonFinite: true });
    await m.release();
    process.env[ALLOW_NONFINITE_ENV] = '1';
    assert.ok((await readLlamaWeights(dir, config))['model.layers.1.mlp.down_proj.weight']);
    delete process.env[ALLOW_NONFINITE_ENV];
  }
});

test('tensors the config does not account for: a bias or a differing tied head is an error naming the key, anything else one warning', async () => {
  const withExtra = async (extra: Record<string, TensorData>) => {
    const dir = mkdtempSync(join(tmpdir(), 'w-extra-'));
    const w = initLlamaWeights(config, runRng(4).stream('w'));
    await saveLlamaCheckpoint(dir, config, w);
    await writeSafetensors(join(dir, 'model.safetensors'), { ...w, ...extra });
    return { dir, w };
  };
  const vec = (n: number): TensorData => ({ dtype: 'float32', shape: [n], data: new Float32Array(n).fill(0.5) });
  const bias = await withExtra({ 'model.layers.0.self_attn.q_proj.bias': vec(8) });
  await readLlamaWeights(bias.dir, config).then(
    () => assert.unreachable('a bias was dropped'),
    (e: Error) =>
      assert.match(
        e.message,
        /model\.safetensors: tensor 'model\.layers\.0\.self_attn\.q_proj\.bias' is in the checkpoint but config\.json has attention_bias false/,
      ),
  );
  const mlp = await withExtra({ 'model.layers.1.mlp.up_proj.bias': vec(8) });
  await readLlamaWeights(mlp.dir, config).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /mlp_bias false/),
  );
  const head = await withExtra({
    'lm_head.weight': { dtype: 'float32', shape: [16, 8], data: new Float32Array(128).fill(0.1) },
  });
  await readLlamaWeights(head.dir, config).then(
    () => assert.unreachable('a differing tied head was ignored'),
    (e: Error) =>
      assert.match(
        e.message,
        /tie_word_embeddings true but the checkpoint's lm_head\.weight differs from model\.embed_tokens\.weight/,
      ),
  );
  const same = await withExtra({});
  await writeSafetensors(join(same.dir, 'model.safetensors'), {
    ...same.w,
    'lm_head.weight': same.w['model.embed_tokens.weight']!,
  });
  assert.ok(
    (await readLlamaWeights(same.dir, config))['model.embed_tokens.weight'],
    'an lm_head equal to the embeddings is fine',
  );
  const other = await withExtra({ 'model.layers.0.self_attn.rotary_emb.inv_freq': vec(2) });
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    await readLlamaWeights(other.dir, config);
    await readLlamaWeights(other.dir, config);
  } finally {
    process.stderr.write = write;
  }
  assert.is(lines.length, 1, 'listed once');
  assert.match(
    lines[0]!,
    /warning: .*: 1 tensor in the checkpoint not used by a Llama of this config: model\.layers\.0\.self_attn\.rotary_emb\.inv_freq/,
  );
});

test.run();
