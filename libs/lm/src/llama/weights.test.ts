import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRng } from '@saetrace/engine';
import { parseLlamaConfig } from './config.ts';
import { LlamaModel } from './model.ts';
import { ALLOW_NONFINITE_ENV, initLlamaWeights, readLlamaWeights, saveLlamaCheckpoint } from './weights.ts';

const config = parseLlamaConfig({ model_type: 'llama', hidden_size: 8, intermediate_size: 8, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 16, rms_norm_eps: 1e-5, max_position_embeddings: 16, tie_word_embeddings: true });

test('a checkpoint holding NaN or infinity is refused at load, naming the file and tensor; a flag allows it', async () => {
  for (const [value, sharded] of [[NaN, false], [Infinity, true]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'w-nan-'));
    const w = initLlamaWeights(config, runRng(3).stream('w'));
    const t = w['model.layers.1.mlp.down_proj.weight']!.data as Float32Array;
    t[5] = value; t[9] = value;
    await saveLlamaCheckpoint(dir, config, w, sharded ? { maxShardBytes: 1024 } : {});
    const err = await LlamaModel.load(dir, { threads: 1 }).then(() => null, (e: Error) => e);
    const file = sharded ? 'model-\\d{5}-of-\\d{5}\\.safetensors' : 'model\\.safetensors';
    assert.match(err?.message ?? 'no error', new RegExp(`${dir}/${file}: tensor 'model\\.layers\\.1\\.mlp\\.down_proj\\.weight' holds 2 non-finite values \\(first: ${value} at element 5\\).*set ${ALLOW_NONFINITE_ENV}=1 to load it anyway`));
    const m = await LlamaModel.load(dir, { threads: 1, allowNonFinite: true });
    await m.release();
    process.env[ALLOW_NONFINITE_ENV] = '1';
    assert.ok((await readLlamaWeights(dir, config))['model.layers.1.mlp.down_proj.weight']);
    delete process.env[ALLOW_NONFINITE_ENV];
  }
});

test.run();
