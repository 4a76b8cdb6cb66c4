import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FAMILY_PROFILES, type FamilyManifest, parseLlamaConfig } from '@saetrace/lm';
import { extractWork, GPU_CLASSES, llamaParams, saeWork } from './dry-run.ts';
import { paperConfig } from './paper-models.ts';
import { chooseRates, type RateSample } from './stage-calibrate.ts';
import { costOf, extractJob, familyJob, type Rates, reportJob, saeJob, saePeakBytes } from './stage-cost.ts';
import type { ProfileSpec } from './spec.ts';

const config = parseLlamaConfig({
  model_type: 'llama',
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  vocab_size: 512,
});
const p = {
  activations: { trainTokensPerLang: 1024, evalTokensPerLang: 256 },
  sae: { n: 256, k: 8, lr: 1e-3, warmupSteps: 1, batchSize: 128, epochs: 2 },
} as unknown as ProfileSpec;
const shape = { p, config, langs: 2 };
const rate = (f: number) => ({ flopsPerSecond: f, source: 'test' });
const rates: Rates = {
  cpu: 'test CPU',
  threads: 2,
  stages: { extract: rate(1e9), sae: rate(2e9), metrics: rate(4e9) },
};

test('a job costs its dry-run FLOPs at its stage rate, with GPU seconds per class', () => {
  const ex = costOf(extractJob(shape, 3), rates);
  assert.is(ex.flops, extractWork(p, config, 3).flops);
  assert.is(ex.cpuSeconds, ex.flops / 1e9);
  const sae = costOf(saeJob(shape), rates);
  assert.is(sae.cpuSeconds, saeWork(p, 64).flops / 2e9);
  const a100 = GPU_CLASSES[0] as (typeof GPU_CLASSES)[number];
  assert.is(sae.gpuSeconds?.[a100.name], sae.flops / (a100.peakFlops * a100.utilisation));
  // The report measures each SAE: twice the SAEs, twice the FLOPs, the same peak.
  const r1 = reportJob(shape, 1);
  const r2 = reportJob(shape, 2);
  assert.is(r2.flops, 2 * r1.flops);
  assert.is(r2.peakBytes, r1.peakBytes);
  assert.is(costOf(r2, rates).cpuSeconds, r2.flops / 4e9);
});

test('an SAE job holds parameters, gradients and Adam moments, a batch, and its train store', () => {
  const d = 64;
  const n = 256;
  const params = 2 * d * n + n + d;
  assert.is(saePeakBytes(shape), 16 * params + 8 * 128 * (d + n) + 2048 * d * 2);
  // The extract peak holds at least the float32 weights.
  assert.ok(extractJob(shape, 1).peakBytes > 4 * llamaParams(config));
  assert.ok(extractJob(shape, 3).peakBytes > extractJob(shape, 1).peakBytes);
});

test('a trained family costs its measured seconds; an untrained one its FLOPs at the extraction rate', () => {
  const profile = FAMILY_PROFILES.smoke;
  const manifest = {
    members: [
      { trainSeconds: 10, flopsPerSecond: 1e9 },
      { trainSeconds: 30, flopsPerSecond: 2e9 },
    ],
  } as unknown as FamilyManifest;
  const measured = costOf(familyJob(profile, manifest), rates);
  assert.is(measured.cpuSeconds, 40);
  assert.is(measured.flops, 10e9 + 60e9);
  const planned = costOf(familyJob(profile, null), rates);
  assert.ok(planned.flops > 0);
  assert.is(planned.cpuSeconds, planned.flops / 1e9);
  assert.is(planned.peakBytes, measured.peakBytes);
});

test('a rate that is not positive is refused naming its stage', () => {
  const bad: Rates = { ...rates, stages: { ...rates.stages, sae: rate(0) } };
  assert.throws(() => costOf(saeJob(shape), bad), /no positive sae rate \(test\)/);
});

const sample = (cpu: string, spec: string, kind: RateSample['kind'], seconds: number, flops: number): RateSample => ({
  file: `reports/en-ja/${spec}.default.provenance.json`,
  spec,
  cpu,
  threads: 2,
  kind,
  flops,
  seconds,
  flopsPerSecond: flops / seconds,
});

test('the rates: of the CPU with the most measured seconds, per stage its longest run', () => {
  const samples = [
    ...(['extract', 'sae', 'metrics'] as const).map((k) => sample('A', 'big', k, 100, 1e12)),
    // Found its work cached: many FLOPs in little time. Not chosen though it is the same CPU.
    ...(['extract', 'sae', 'metrics'] as const).map((k) => sample('A', 'cached', k, 0.1, 1e12)),
    ...(['extract', 'sae', 'metrics'] as const).map((k) => sample('B', 'other', k, 50, 3e12)),
    sample('A', 'long', 'sae', 120, 6e11),
  ];
  const r = chooseRates(samples);
  assert.is(r?.cpu, 'A');
  assert.is(r?.stages.extract.flopsPerSecond, 1e10);
  assert.is(r?.stages.sae.flopsPerSecond, 5e9);
  assert.is(r?.stages.sae.source, 'reports/en-ja/long.default.provenance.json');
  // A CPU with a stage never measured gives no rates, nor do no samples.
  assert.is(chooseRates([sample('A', 'x', 'extract', 10, 1e10)]), null);
  assert.is(chooseRates([]), null);
});

test('the LLM-jp-3 shapes give the published non-embedding parameter counts', () => {
  // huggingface.co/llm-jp/llm-jp-3-172b-instruct3 model card: 1.8b 1,459,718,144 and 3.7b 3,171,068,928.
  const nonEmbedding = (size: string) => {
    const c = paperConfig(size);
    return llamaParams(c) - 2 * c.vocabSize * c.hiddenSize;
  };
  assert.is(nonEmbedding('1.8b'), 1_459_718_144);
  assert.is(nonEmbedding('3.7b'), 3_171_068_928);
  assert.throws(() => paperConfig('7.2b'), /no LLM-jp-3 shape for size '7.2b'/);
});

test.run();
