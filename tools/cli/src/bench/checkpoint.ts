// `saetrace bench checkpoint`: a random checkpoint of LLM-jp-3-1.8b's exact shape (bf16, sharded as HF does),
// loaded and tapped at all 25 sites over 64-token windows: load time, tokens/s, peak RSS against the f32
// weights, and the paper profile's extraction time projected at that rate (issue 23, "Scale").
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import {
  allSites,
  LlamaModel,
  llamaParamShapes,
  parseLlamaConfig,
  saveLlamaCheckpoint,
  type LlamaConfig,
  type LlamaWeights,
} from '@saetrace/lm';
import { llamaParams } from '../../../harness/src/dry-run.ts';

/** LLM-jp-3-1.8b's config.json (the shape only; weights are random). */
export const LLMJP_1P8B = {
  model_type: 'llama',
  hidden_act: 'silu',
  hidden_size: 2048,
  intermediate_size: 7168,
  num_hidden_layers: 24,
  num_attention_heads: 16,
  num_key_value_heads: 16,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 4096,
  vocab_size: 99487,
  tie_word_embeddings: false,
};

const DIR = '.cache/bench-checkpoint/llm-jp-3-1.8b-random';

/** Cheap random weights (a 32-bit LCG, uniform +-0.02; norms around 1): the bench times loading and compute, not init. */
export function randomWeights(c: LlamaConfig): LlamaWeights {
  const w: LlamaWeights = {};
  let s = 12345;
  for (const [name, shape] of llamaParamShapes(c)) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    const norm = name.endsWith('norm.weight');
    for (let i = 0; i < a.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = (norm ? 1 : 0) + (s / 4294967296 - 0.5) * 0.04;
    }
    w[name] = { dtype: 'float32', shape, data: a };
  }
  return w;
}

function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

export async function checkpointBench(o: { threads: number; quick: boolean }) {
  const c = parseLlamaConfig(LLMJP_1P8B);
  // Generated in a child process, so this process's peak RSS is the load and the forward only.
  if (!existsSync(join(DIR, 'config.json'))) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--generate'], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error(`bench checkpoint: generating ${DIR} failed`);
  }
  const f32Bytes = llamaParams(c) * 4;
  const t0 = performance.now();
  const model = await LlamaModel.load(DIR, { threads: o.threads });
  const loadS = (performance.now() - t0) / 1000;
  const rssAfterLoad = peakRssBytes();
  const B = 8,
    T = 65;
  const batches = o.quick ? 1 : 3;
  const sites = allSites(c.numLayers);
  const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 13) % c.vocabSize);
  await model.tap(tokens, B, T, sites); // graph build and first run
  const t1 = performance.now();
  for (let b = 0; b < batches; b++) await model.tap(tokens, B, T, sites);
  const runS = (performance.now() - t1) / 1000;
  const tokPerS = (batches * B * T) / runS;
  const peak = peakRssBytes();
  await model.release();
  // The paper profile's extraction (experiments/en-ja/figure5.yaml, paper): 6 checkpoints x (50M + 5M) tokens x 2 languages, per size.
  const paperTokens = 6 * 55e6 * 2 * (65 / 64);
  const projectedH = paperTokens / tokPerS / 3600;
  const gflops = (2 * llamaParams(c) * tokPerS) / 1e9;
  const json = {
    cpu: cpus()[0]?.model ?? 'unknown',
    threads: o.threads,
    params: llamaParams(c),
    f32WeightBytes: f32Bytes,
    loadSeconds: loadS,
    rssAfterLoadBytes: rssAfterLoad,
    peakRssBytes: peak,
    peakOverF32: peak / f32Bytes,
    tokensPerSecond: tokPerS,
    modelGflops: gflops,
    projectedPaperExtractionHours: projectedH,
  };
  const gb = (x: number) => `${(x / 2 ** 30).toFixed(2)} GiB`;
  const md = [
    '# Checkpoint benchmark: LLM-jp-3-1.8b shape, all 25 sites',
    '',
    `CPU ${json.cpu}, ${o.threads} threads. A random checkpoint of LLM-jp-3-1.8b's exact config (hidden 2048, 24 blocks, 16 heads, ffn 7168, vocab 99,487, untied; ${(llamaParams(c) / 1e9).toFixed(2)}B parameters) stored bf16 in HF shards under \`${DIR}\`, loaded with LlamaModel.load and tapped at sites 0..24 over ${batches} batches of ${B} x ${T} tokens (64-token windows plus BOS).`,
    `Floor: 2 x params = ${((2 * llamaParams(c)) / 1e9).toFixed(1)} GFLOP per token (an upper bound: the taps need every block but not the LM head); the f32 weights are ${gb(f32Bytes)}.`,
    '',
    '| load s | peak RSS after load | peak RSS | peak / f32 weights | tokens/s | model GFLOP/s | paper-profile extraction, projected |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    `| ${loadS.toFixed(1)} | ${gb(rssAfterLoad)} | ${gb(peak)} | ${(peak / f32Bytes).toFixed(2)} | ${tokPerS.toFixed(1)} | ${gflops.toFixed(1)} | ${projectedH.toFixed(0)} h per size |`,
    '',
    `Goal: peak RSS <= 1.5x the f32 weights: ${peak / f32Bytes <= 1.5 ? 'met' : 'not met'}. Projection: 6 checkpoints x 55M tokens per language x 2 languages at this rate.`,
  ].join('\n');
  mkdirSync('reports/bench', { recursive: true });
  writeFileSync('reports/bench/checkpoint.md', `${md}\n`);
  return { name: 'checkpoint', json, report: 'reports/bench/checkpoint.md', targetsMet: peak / f32Bytes <= 1.5 };
}

if (process.argv.includes('--generate')) {
  const c = parseLlamaConfig(LLMJP_1P8B);
  await saveLlamaCheckpoint(DIR, c, randomWeights(c), {
    dtype: 'bfloat16',
    maxShardBytes: 2 ** 30 * 2,
    tokenizerDir: 'data/tokenizer/en-ja',
  });
}
