// The "Plans and estimates" section of reports/scale/README.md (`saetrace estimate --write`): the en-ja default plan
// of every spec and the paper plan of the feature-dynamics ones, with CPU and GPU hours, critical path and wall time on 1, 8 and
// 64 nodes, and the paper's Table 3 beside the estimate. Every number comes from the plans and the calibration.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '@saetrace/engine';
import os from 'node:os';
import { GPU_CLASSES, extractWork, saeWork } from './dry-run.ts';
import { ASSUMED_SHAPES, paperConfig, TABLE3_A100_MINUTES } from './paper-models.ts';
import { profileOf, readSpec, type ExperimentSpec } from './spec.ts';
import { CALIBRATION_PAIR, calibration, type RateSample, rateSamples } from './stage-calibrate.ts';
import { gpuSeconds, type Rates } from './stage-cost.ts';
import { configPlan, paperSize } from './stage-paper.ts';
import { stagePlan } from './stage-plan.ts';
import {
  type Level,
  type SecondsOf,
  cpuSecondsOf,
  criticalPathSeconds,
  formatBytes,
  formatSeconds,
  gpuSecondsOf,
  sbatchResources,
  sweepLevels,
  wallSeconds,
} from './stage-schedule.ts';

export const BEGIN = '<!-- plans-and-estimates:begin (written by `saetrace estimate --write`) -->';
export const END = '<!-- plans-and-estimates:end -->';
const NODES = [1, 8, 64] as const;
const A100 = GPU_CLASSES[0]?.name as string;

const hours = (s: number) => {
  const h = s / 3600;
  return h >= 1000 ? h.toFixed(0) : h.toPrecision(3);
};

/** The specs of a pair (of these kinds, or all), by number. */
function pairSpecs(pair: string, kinds?: readonly string[]): ExperimentSpec[] {
  const out: ExperimentSpec[] = [];
  for (const f of readdirSync('experiments')
    .filter((x) => x.endsWith('.yaml') && x !== 'project.yaml')
    .sort()) {
    const r = readSpec(`${pair}/${f.slice(0, -5)}`);
    if (r.ok && (!kinds || kinds.includes(r.spec.kind))) out.push(r.spec);
  }
  // figure3 before figure11 and so on: by number.
  return out.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

function row(name: string, levels: readonly Level[], jobs: string, seconds: SecondsOf, extra: string[]): string {
  const total = levels.reduce((a, l) => a + l.jobs.reduce((b, j) => b + seconds(j.cost), 0), 0);
  const peak = Math.max(0, ...levels.flatMap((l) => l.jobs.map((j) => j.cost.peakBytes)));
  return `| ${[
    name,
    jobs,
    hours(total),
    ...extra,
    formatSeconds(criticalPathSeconds(levels, seconds)),
    ...NODES.map((n) => formatSeconds(wallSeconds(levels, n, 1, seconds))),
    formatBytes(peak),
  ].join(' | ')} |`;
}

function jobsCell(levels: readonly Level[]): string {
  const n = (k: string) => levels.find((l) => l.name === k)?.jobs.length ?? 0;
  return `${n('family')} / ${n('extract')} / ${n('sae')} / ${n('report')}`;
}

async function calibrationLines(rates: Rates): Promise<string[]> {
  const samples = await rateSamples(CALIBRATION_PAIR, 'default');
  const used = new Set(Object.entries(rates.stages).map(([k, s]) => `${k}\n${s.source}`));
  const note = (s: RateSample) =>
    used.has(`${s.kind}\n${s.file}`)
      ? 'used'
      : s.flopsPerSecond > 2 * rates.stages[s.kind].flopsPerSecond
        ? 'cached'
        : '';
  return [
    `Seconds are for one task at ${rates.threads} threads on **${rates.cpu}**: each job's FLOPs (the model of`,
    '`tools/harness/src/dry-run.ts`) at the FLOP/s its stage reached in a committed run. Every default-profile run',
    `of ${CALIBRATION_PAIR} with stage timings gives a sample (\`tools/harness/src/stage-calibrate.ts\`): its provenance file's`,
    '`timings` over the FLOPs of the work its plan counts. A run that found part of its work cached counts FLOPs it',
    'spent no time on and looks faster than the CPU is (marked "cached" where over twice the rate used); the estimate',
    'takes, of the CPU with the most measured seconds, per stage the longest run (marked "used").',
    `The family job's seconds are the training seconds each member's manifest records (\`.cache/zoo/${CALIBRATION_PAIR}/default/family.json\`,`,
    `which names no CPU). Peak memory is an estimate of the buffers the code holds (\`tools/harness/src/stage-cost.ts\`),`,
    `not a measurement. This section was written on ${os.cpus()[0]?.model ?? 'an unknown CPU'}.`,
    '',
    '| run | CPU | threads | stage | GFLOP | seconds | GFLOP/s | |',
    '|---|---|---:|---|---:|---:|---:|---|',
    ...samples.map(
      (s) =>
        `| ${s.spec} | ${s.cpu} | ${s.threads} | ${s.kind} | ${(s.flops / 1e9).toFixed(0)} | ${s.seconds.toFixed(1)} | ${(s.flopsPerSecond / 1e9).toFixed(1)} | ${note(s)} |`,
    ),
  ];
}

async function defaultSection(pair: string): Promise<string[]> {
  const specs = pairSpecs(pair);
  const plans = await Promise.all(specs.map((s) => stagePlan(`${pair}/${s.id}`, 'default')));
  const head = [
    '| spec | jobs (family / extract / sae / report) | CPU h | critical path | wall, 1 node | 8 nodes | 64 nodes | largest peak memory |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const rows = plans.map((plan) => {
    const { levels } = sweepLevels([plan]);
    return row(plan.spec, levels, jobsCell(levels), cpuSecondsOf, []);
  });
  const sweep = sweepLevels(plans).levels;
  const threads = plans[0]?.calibration?.threads ?? 2;
  return [
    `### ${pair} at the default profile`,
    '',
    'Each spec as its own sweep from an empty cache; the last row is all of them in one per-stage sweep, where a store',
    'or SAE two specs share is one task (`tools/harness/src/stage-schedule.ts` sweepLevels, as `tools/slurm/src/stages.ts`',
    'submits it) and the family is trained once. Wall time: one task per node, each level (family, extract, sae,',
    'report) after the one before, tasks in array order to the first free node; the critical path is the sum of each',
    "level's longest job, the wall time on unlimited nodes.",
    '',
    ...head,
    ...rows,
    row(`all ${plans.length} in one sweep`, sweep, jobsCell(sweep), cpuSecondsOf, []),
    '',
    `sbatch resources per level of that sweep at ${threads} CPUs per task (\`sbatchResources\`: memory 1.5 x the largest`,
    'peak + 1 GiB, time 3 x the longest job, at least 5 minutes):',
    '',
    '| level | tasks | --mem (MB) | --time (min) |',
    '|---|---:|---:|---:|',
    ...sweep.map((l) => {
      const r = sbatchResources(
        l.jobs.map((j) => j.cost),
        threads,
        threads,
      );
      return `| ${l.name} | ${l.jobs.length} | ${r.memMB} | ${r.timeMinutes} |`;
    }),
  ];
}

async function paperSection(pair: string, rates: Rates): Promise<string[]> {
  const specs = pairSpecs(pair, ['feature-dynamics']).filter((s) => s.profiles.paper);
  const plans = specs.map((s) => configPlan(s, profileOf(s, 'paper'), 'paper', rates));
  const gpu = gpuSecondsOf(A100);
  const h100 = GPU_CLASSES[1]?.name;
  const extra = (levels: readonly Level[]) => [
    hours(levels.reduce((a, l) => a + l.jobs.reduce((b, j) => b + j.cost.cpuSeconds, 0), 0)),
    ...(h100
      ? [hours(levels.reduce((a, l) => a + l.jobs.reduce((b, j) => b + gpuSecondsOf(h100)(j.cost), 0), 0))]
      : []),
  ];
  const sweep = sweepLevels(plans).levels;
  const sizes = [...new Set(specs.map((s) => paperSize(profileOf(s, 'paper'))))];
  return [
    `### ${pair} at the paper profile`,
    '',
    "No LLM-jp-3 checkpoint is on this machine, so these plans are counted from each spec's paper profile (the pair",
    "file's checkpoint paths, the profile's checkpoints and layers) on the published shape of its size",
    `(\`tools/harness/src/paper-models.ts\`; ${ASSUMED_SHAPES.join(', ')}: ffn and heads assumed), by the per-job model \`saetrace run --dry-run\``,
    `uses (\`tools/harness/src/stage-paper.ts\`). GPU seconds are FLOPs at ${GPU_CLASSES.map((g) => `${g.name}: ${g.source}`).join('; ')}.`,
    `Wall time is on ${A100} GPUs, one per node; CPU hours are the same FLOPs at the CPU rates above, for scale.`,
    'Peak memory is what this code would hold: an SAE job keeps its whole train store in memory (float16), which at',
    "100M tokens is the largest term; the authors' code streams through a buffer of 0.5M-10M activations instead.",
    '',
    `| spec | jobs (family / extract / sae / report) | ${A100} h | CPU h | ${h100 ?? ''} h | critical path (${A100}) | wall, 1 GPU | 8 GPUs | 64 GPUs | largest peak memory |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...plans.map((plan, i) => {
      const { levels } = sweepLevels([plan]);
      const size = paperSize(profileOf(specs[i] as ExperimentSpec, 'paper'));
      return row(`${plan.spec} (${size})`, levels, jobsCell(levels), gpu, extra(levels));
    }),
    row(`all ${plans.length} in one sweep`, sweep, jobsCell(sweep), gpu, extra(sweep)),
    '',
    "The paper's Table 3 gives the time to train one SAE on one A100 40GB, activations included: the authors run the",
    'LM over the 100M training tokens while training each SAE. The estimate beside it is that work by the same model:',
    'a forward pass over the train tokens plus the SAE training, on the A100 class above.',
    '',
    `| size | Table 3 (${A100}) | estimate: forward + SAE | of which SAE training | estimate / Table 3 |`,
    '|---|---:|---:|---:|---:|',
    ...Object.keys(TABLE3_A100_MINUTES)
      .filter((size) => sizes.includes(size))
      .map((size) => {
        const spec = specs.find((s) => paperSize(profileOf(s, 'paper')) === size) as ExperimentSpec;
        const p = profileOf(spec, 'paper');
        const c = paperConfig(size);
        const langs = spec.languages.length;
        // The train windows only: the authors' training loop does not run the eval tokens.
        const trainOnly = { ...p, activations: { ...p.activations, evalTokensPerLang: 0 } };
        const fwd = gpuSeconds(extractWork(trainOnly, c, 1, langs).flops)[A100] as number;
        const sae = gpuSeconds(saeWork(p, c.hiddenSize, langs).flops)[A100] as number;
        const table = (TABLE3_A100_MINUTES[size] as number) * 60;
        return `| ${size} | ${formatSeconds(table)} | ${formatSeconds(fwd + sae)} | ${formatSeconds(sae)} | ${((fwd + sae) / table).toFixed(2)} |`;
      }),
  ];
}

/** The section's text, between its markers. */
export async function estimatesSection(pair = CALIBRATION_PAIR): Promise<string> {
  const rates = await calibration();
  return [
    BEGIN,
    ...(await calibrationLines(rates)),
    '',
    ...(await defaultSection(pair)),
    '',
    ...(await paperSection(pair, rates)),
    '',
    'At the paper profile only the feature-dynamics kind is planned from the LLM-jp-3 shapes; sae-sizes (Tables 2-3,',
    'Figure 11) and intervention (Tables 1 and 4) are planned per stage for the embedded family (above) and are one',
    "report job without an estimate for a paths profile. An intervention report's cost counts its SAE's metric passes",
    'only: the injection settings (perplexity, greedy translation) are not modelled.',
    END,
  ].join('\n');
}

/** Replaces the section between its markers in `file` (it must hold both). */
export function replaceSection(text: string, section: string, file: string): string {
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file}: no "${BEGIN}" ... "${END}" markers to write between`);
  return text.slice(0, a) + section + text.slice(b + END.length);
}

export async function writeEstimates(file = 'reports/scale/README.md'): Promise<void> {
  if (!existsSync(file)) throw new Error(`${file}: not found`);
  writeFileAtomicSync(file, replaceSection(readFileSync(file, 'utf8'), await estimatesSection(), file));
}
