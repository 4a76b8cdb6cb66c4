import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLlamaConfig } from '@saetrace/lm';
import {
  dryRun,
  estimateStages,
  extractWork,
  GPU_CLASSES,
  llamaParams,
  metricsWork,
  renderDryRun,
  saeWork,
} from './dry-run.ts';
import type { ExperimentSpec, ProfileSpec } from './spec.ts';

const hf = {
  model_type: 'llama',
  hidden_size: 3072,
  intermediate_size: 8192,
  num_hidden_layers: 28,
  num_attention_heads: 24,
  vocab_size: 99487,
  max_position_embeddings: 4096,
};
const profile = (dirs: string[]): ProfileSpec => ({
  family: { paths: { '3.7b': dirs.map((dir, i) => ({ dir, tokens: 10 ** (i + 7) })) } },
  size: '3.7b',
  layers: ['mid'],
  checkpoints: 'all',
  activations: { trainTokensPerLang: 1000, evalTokensPerLang: 100 },
  sae: { n: 64, k: 4, lr: 1e-3, warmupSteps: 1, batchSize: 32, epochs: 2 },
  metrics: { languageCut: 0.9, cosineCut: 0.1, clusterRule: 'greedy' },
  seed: 1,
});
const spec = (p: ProfileSpec) =>
  ({
    id: 'figure3',
    kind: 'feature-dynamics',
    pair: 'en-ja',
    languages: ['en', 'ja'],
    profiles: { paper: p },
  }) as unknown as ExperimentSpec;

test('parameter count and stage FLOPs follow the stated formulas', () => {
  const c = parseLlamaConfig(hf);
  // LLM-jp-3 3.7B: untied embeddings and head 2 x 99487 x 3072, 28 blocks of 4d^2 + 3 d ffn + 2d, final norm.
  assert.is(llamaParams(c), 2 * 99487 * 3072 + 28 * (4 * 3072 ** 2 + 3 * 3072 * 8192 + 2 * 3072) + 3072);
  const [ex, sae, met] = estimateStages(profile(['a']), c, 6, 1);
  assert.is(ex!.flops, 2 * llamaParams(c) * 2200 * (65 / 64) * 6);
  assert.is(ex!.bytes, 2200 * 3072 * 2 * 6);
  assert.is(sae!.flops, 4 * 3072 * 64 * 2000 * 2 * 6);
  assert.is(met!.count, 6);
  // Three encoder passes over the eval store (maxima, occurrences, quality), 2dn FLOPs per row each.
  assert.is(met!.flops, 3 * 2 * 3072 * 64 * 200 * 6);
});

test('a stage is its per-job work times its job count', () => {
  const c = parseLlamaConfig(hf);
  const p = profile(['a']);
  const [ex, sae, met] = estimateStages(p, c, 6, 3);
  assert.is(ex!.flops, extractWork(p, c, 3).flops * 6);
  assert.is(ex!.bytes, extractWork(p, c, 3).bytes * 6);
  assert.is(sae!.count, 18);
  assert.is(sae!.flops, saeWork(p, 3072).flops * 18);
  assert.is(met!.bytes, metricsWork(p, 3072).bytes * 18);
  // Three languages: a third more rows than two.
  assert.is(saeWork(p, 3072, 3).flops, saeWork(p, 3072).flops * 1.5);
});

test('a dry run names every missing or broken directory and still estimates from the ones that parse', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dry-'));
  const good = join(root, 'iter_1');
  cpSync('data/tokenizer/en-ja', good, { recursive: true });
  writeFileSync(join(good, 'config.json'), JSON.stringify(hf));
  writeFileSync(join(good, 'model.safetensors.index.json'), '{"weight_map":{}}');
  const broken = join(root, 'iter_2');
  cpSync(good, broken, { recursive: true });
  writeFileSync(join(broken, 'config.json'), JSON.stringify({ ...hf, hidden_act: 'gelu' }));
  const r = await dryRun(
    spec(profile([good, broken, join(root, 'absent')])),
    profile([good, broken, join(root, 'absent')]),
  );
  assert.equal(r.layers, [14]);
  assert.is(r.problems.length, 2);
  assert.match(r.problems[0]!, /iter_2\/config\.json: hidden_act "gelu" is not supported/);
  assert.match(r.problems[1]!, /absent: checkpoint directory not found/);
  const text = renderDryRun('en-ja/figure3', 'paper', r, GPU_CLASSES);
  assert.match(text, /\| activation extraction \| 3 \|/);
  assert.match(text, /H100 SXM: bf16 dense peak 989 TFLOP\/s/);
  const zoo = await dryRun(spec(profile([])), { ...profile([]), family: { zoo: 'smoke' } });
  assert.match(zoo.problems[0]!, /checks checkpoint paths/);
});

test.run();
