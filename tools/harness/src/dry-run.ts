import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonRecord } from '@saetrace/engine';
import { loadTokenizer, parseLlamaConfig, type LlamaConfig } from '@saetrace/lm';
import { layersOf } from './kinds/feature-dynamics.ts';
import { checkpointCount, type ExperimentSpec, type ProfileSpec } from './spec.ts';

/**
 * `saetrace run <spec> --profile P --dry-run`: checks every checkpoint directory a paths profile names and
 * estimates each stage's cost without computing anything (issue 23's "what the run will cost").
 */

/** A throughput assumption, stated in the output: peak FLOP/s times a utilisation. */
export interface Device {
  readonly name: string;
  readonly peakFlops: number;
  readonly utilisation: number;
  readonly source: string;
}

/** Published dense bf16 tensor-core peaks (NVIDIA data sheets: A100 312 TFLOP/s, H100 SXM 989 TFLOP/s). */
export const GPU_CLASSES: readonly Device[] = [
  {
    name: 'A100 40GB',
    peakFlops: 312e12,
    utilisation: 0.4,
    source: 'bf16 dense peak 312 TFLOP/s (data sheet), 40% assumed',
  },
  {
    name: 'H100 SXM',
    peakFlops: 989e12,
    utilisation: 0.4,
    source: 'bf16 dense peak 989 TFLOP/s (data sheet), 40% assumed',
  },
];

/** This machine: the engine's measured fp32 GEMM rate from reports/bench/engine.md (first row), 50% of it. */
export function thisMachine(benchFile = 'reports/bench/engine.md'): Device {
  let gflops = 100;
  let source = 'no reports/bench/engine.md: 100 GFLOP/s fp32 assumed';
  if (existsSync(benchFile)) {
    const row = /\|\s*\[[^\]]*\]x\[[^\]]*\]\s*\|\s*([\d.]+)\s*\|/.exec(readFileSync(benchFile, 'utf8'));
    if (row) {
      gflops = Number(row[1]);
      source = `${gflops} GFLOP/s fp32 GEMM measured in ${benchFile}, 50% assumed for whole stages`;
    }
  }
  return { name: 'this machine (CPU)', peakFlops: gflops * 1e9, utilisation: 0.5, source };
}

/** Parameter count of a Llama config (embeddings, blocks, final norm, head when untied). */
export function llamaParams(c: LlamaConfig): number {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const block = 2 * d + d * q + 2 * d * kv + q * d + 3 * d * c.intermediateSize;
  return c.vocabSize * d * (c.tieWordEmbeddings ? 1 : 2) + c.numLayers * block + d;
}

export interface Stage {
  readonly name: string;
  readonly count: number;
  /** FLOPs of all `count` jobs together. */
  readonly flops: number;
  /** Bytes written (activation stores) or read per job, as stated in `bytesWhat`. */
  readonly bytes: number;
  readonly bytesWhat: string;
}

export interface DryRun {
  readonly problems: readonly string[];
  readonly checkpoints: readonly string[];
  readonly config: LlamaConfig | null;
  readonly layers: readonly number[];
  readonly stages: readonly Stage[];
}

/** FLOPs and bytes of one job of a stage: what `estimateStages` multiplies by the job count. */
export interface JobWork {
  readonly flops: number;
  readonly bytes: number;
}

/** Rows (kept token positions) of a profile's train and eval stores over `langs` languages. */
export function storeRows(p: ProfileSpec, langs = 2): { train: number; eval: number } {
  return { train: p.activations.trainTokensPerLang * langs, eval: p.activations.evalTokensPerLang * langs };
}

/** One checkpoint's extraction: a forward pass over its train and eval windows, every layer stored as float16. */
export function extractWork(p: ProfileSpec, c: LlamaConfig, layers: number, langs = 2): JobWork {
  const rows = storeRows(p, langs);
  // Each 64-token window is run with its BOS: 65 positions computed, 64 kept.
  const flops = 2 * llamaParams(c) * (rows.train + rows.eval) * (65 / 64);
  return { flops, bytes: (rows.train + rows.eval) * layers * c.hiddenSize * 2 };
}

/** One SAE's training on a layer's train store (bytes: activations read over its epochs). */
export function saeWork(p: ProfileSpec, d: number, langs = 2): JobWork {
  const { train } = storeRows(p, langs);
  // A TopK SAE step is dominated by the dense encoder product (2dn) and its weight gradient (2dn); the
  // decoder and its gradients touch only k rows (libs/sae/native/sae_step.c): about 4dn per token.
  return { flops: 4 * d * p.sae.n * train * p.sae.epochs, bytes: train * d * 2 * p.sae.epochs };
}

/** One SAE's measurement on a layer's eval store (bytes: activations read). */
export function metricsWork(p: ProfileSpec, d: number, langs = 2): JobWork {
  const { eval: rows } = storeRows(p, langs);
  // Three encoder passes over the eval store: maxima, occurrences, quality (kinds/feature-dynamics.ts
  // analyseCheckpoint), 2dn each per row.
  const passes = 3;
  return { flops: passes * 2 * d * p.sae.n * rows, bytes: passes * rows * d * 2 };
}

/** The stages of a feature-dynamics or intervention profile: extraction per checkpoint, an SAE and a metric pass per (checkpoint, layer). */
export function estimateStages(
  p: ProfileSpec,
  c: LlamaConfig,
  checkpoints: number,
  layers: number,
  langs = 2,
): Stage[] {
  const d = c.hiddenSize;
  const ex = extractWork(p, c, layers, langs);
  const sae = saeWork(p, d, langs);
  const met = metricsWork(p, d, langs);
  const saes = checkpoints * layers;
  return [
    {
      name: 'activation extraction',
      count: checkpoints,
      flops: ex.flops * checkpoints,
      bytes: ex.bytes * checkpoints,
      bytesWhat: 'float16 activations stored',
    },
    {
      name: 'SAE training',
      count: saes,
      flops: sae.flops * saes,
      bytes: sae.bytes * saes,
      bytesWhat: 'activations read',
    },
    {
      name: 'metric passes',
      count: saes,
      flops: met.flops * saes,
      bytes: met.bytes * saes,
      bytesWhat: 'activations read',
    },
  ];
}

/** Checks a paths profile's directories (config, weights, tokenizer) and estimates its stages. */
export async function dryRun(spec: ExperimentSpec, p: ProfileSpec): Promise<DryRun> {
  const problems: string[] = [];
  if (!('paths' in p.family)) {
    return {
      problems: [
        `profile family is the self-trained zoo '${p.family.zoo}': --dry-run checks checkpoint paths (use it on a paths profile such as paper)`,
      ],
      checkpoints: [],
      config: null,
      layers: [],
      stages: [],
    };
  }
  const sizes = Object.keys(p.family.paths);
  const size = p.size === 'largest' ? sizes.at(-1) : p.size === 'smallest' ? sizes[0] : p.size;
  const list = size ? p.family.paths[size] : undefined;
  if (!size || !list)
    return {
      problems: [`profile size '${p.size}' is not among the family paths (${sizes.join(', ')})`],
      checkpoints: [],
      config: null,
      layers: [],
      stages: [],
    };
  let config: LlamaConfig | null = null;
  for (const c of list) {
    if (!existsSync(c.dir)) {
      problems.push(`${c.dir}: checkpoint directory not found`);
      continue;
    }
    const cfgPath = join(c.dir, 'config.json');
    if (!existsSync(cfgPath)) {
      problems.push(`${cfgPath}: not found (a Hugging Face model directory needs config.json)`);
      continue;
    }
    try {
      const cfg = parseLlamaConfig(
        parseJsonRecord<unknown>(readFileSync(cfgPath, 'utf8'), cfgPath, 'fix or replace the checkpoint', () => null),
        cfgPath,
      );
      if (config && (config.hiddenSize !== cfg.hiddenSize || config.numLayers !== cfg.numLayers))
        problems.push(`${cfgPath}: another shape than the first checkpoint of size ${size}`);
      config ??= cfg;
    } catch (err) {
      problems.push((err as Error).message);
    }
    if (!existsSync(join(c.dir, 'model.safetensors')) && !existsSync(join(c.dir, 'model.safetensors.index.json')))
      problems.push(`${c.dir}: no model.safetensors or model.safetensors.index.json`);
    if (!existsSync(join(c.dir, 'tokenizer.json'))) problems.push(`${c.dir}: no tokenizer.json`);
    else await loadTokenizer(c.dir).catch((err: Error) => problems.push(err.message));
  }
  let layers: number[] = [];
  if (config) {
    try {
      layers = layersOf(p, config.numLayers);
    } catch (err) {
      problems.push(`layers: ${(err as Error).message}`);
    }
  }
  const checkpoints = spec.kind === 'intervention' ? 2 : checkpointCount(p.checkpoints, list.length);
  const stages = config
    ? estimateStages(p, config, checkpoints, Math.max(1, layers.length), spec.languages.length)
    : [];
  return { problems, checkpoints: list.map((c) => c.dir), config, layers, stages };
}

function fmt(x: number, unit: string): string {
  const units = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  while (Math.abs(x) >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return `${x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)} ${units[i]}${unit}`;
}

function hours(flops: number, dev: Device): string {
  const s = flops / (dev.peakFlops * dev.utilisation);
  return s < 3600 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** The dry run as text: the problems, then one row per stage with FLOPs, bytes and time per device. */
export function renderDryRun(name: string, profile: string, r: DryRun, devices: readonly Device[]): string {
  const lines = [`dry run of ${name} at profile ${profile}: nothing computed`];
  if (r.config) {
    const c = r.config;
    lines.push(
      `model: ${c.numLayers} blocks, d ${c.hiddenSize}, ffn ${c.intermediateSize}, vocab ${c.vocabSize}, ${fmt(llamaParams(c), '')} parameters; layers ${r.layers.join(', ')} (sites 0..${c.numLayers})`,
    );
  }
  lines.push(
    `${r.checkpoints.length} checkpoint directories; ${r.problems.length} problem(s)${r.problems.length ? ':' : ''}`,
  );
  for (const p of r.problems) lines.push(`  - ${p}`);
  if (r.stages.length) {
    lines.push(
      '',
      `| stage | jobs | FLOPs | bytes | ${devices.map((d) => d.name).join(' | ')} |`,
      `|---|---:|---:|---:|${devices.map(() => '---:').join('|')}|`,
    );
    for (const s of r.stages)
      lines.push(
        `| ${s.name} | ${s.count} | ${fmt(s.flops, 'FLOP')} | ${fmt(s.bytes, 'B')} (${s.bytesWhat}) | ${devices.map((d) => hours(s.flops, d)).join(' | ')} |`,
      );
    const total = r.stages.reduce((a, s) => a + s.flops, 0);
    lines.push(
      `| total | | ${fmt(total, 'FLOP')} | | ${devices.map((d) => hours(total, d)).join(' | ')} |`,
      '',
      'Throughput assumptions:',
    );
    for (const d of devices) lines.push(`- ${d.name}: ${d.source}`);
  }
  return lines.join('\n');
}
