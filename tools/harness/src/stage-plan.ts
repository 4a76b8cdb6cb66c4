// The stage graph a run of one spec executes (`saetrace plan`): family, extraction per checkpoint, an SAE per
// checkpoint and layer, then the report. Every output is named by the key the run itself computes
// (kinds/checkpoint-stages.ts, @saetrace/activations planStores), so a plan's "cached" is the run's.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { planStores, storeComplete } from '@saetrace/activations';
import { midSite, modelFingerprint, readLlamaConfig } from '@saetrace/lm';
import { saeSaved, saeSlot, saeSteps, storeRequest, type Split } from './kinds/checkpoint-stages.ts';
import { cachedFamily, familySlot } from './family.ts';
import { GPU_CLASSES } from './dry-run.ts';
import { calibration } from './stage-calibrate.ts';
import { sizesJobs } from './stage-plan-sizes.ts';
import { criticalPathSeconds, formatBytes, formatSeconds, sweepLevels, wallSeconds } from './stage-schedule.ts';
import {
  costOf,
  extractJob,
  familyJob,
  type JobCost,
  type JobWorkEstimate,
  type Rates,
  reportJob,
  saeJob,
} from './stage-cost.ts';
import { planShape, type PlanShape } from './stage-shape.ts';
import { formatIssue, profileOf, readSpec, type ExperimentSpec, type ProfileName, type ProfileSpec } from './spec.ts';

export type PlanJobKind = 'family' | 'extract' | 'sae' | 'report';

/** One thing a job writes: its cache key (null where it cannot be known before an input exists) and path. */
export interface PlanOutput {
  readonly what: string;
  readonly key: string | null;
  readonly path: string | null;
  readonly cached: boolean;
}

export interface PlanJob {
  /** e.g. family:xs, extract:step-000024, sae:step-000024@L2, report. */
  readonly id: string;
  readonly kind: PlanJobKind;
  /** Ids of the jobs whose outputs it reads. */
  readonly inputs: readonly string[];
  readonly outputs: readonly PlanOutput[];
  /** Every output is in the cache (never for report: it runs the spec and compares its golden). */
  readonly cached: boolean;
  /** Work in units known without running it (SAE steps, tokens), or 'unknown'. */
  readonly estimate: string;
  /**
   * FLOPs, seconds on the calibration CPU, peak memory and GPU seconds (stage-cost.ts); null where not modelled.
   * stagePlan sets it on every job; optional so plans made by hand (tests, plan files of an older version) still type.
   */
  readonly cost?: JobCost | null;
  /** The checkpoint an extract or sae job reads. */
  readonly checkpoint?: { readonly step: number; readonly dir: string };
  readonly layer?: number;
  /** The family member a sae-sizes job is of, and the rate of its SAE (stage-plan-sizes.ts). */
  readonly size?: string;
  readonly lr?: number;
}

export interface StagePlan {
  readonly spec: string;
  readonly profile: ProfileName;
  readonly kind: string;
  /** False where the kind is not split into stages: its one job is the whole run. */
  readonly perStage: boolean;
  readonly notes: readonly string[];
  readonly jobs: readonly PlanJob[];
  /** The measured rates the costs' seconds come from (stage-calibrate.ts); null where nothing is costed. */
  readonly calibration?: Rates | null;
}

/** The spec and profile a plan is of, read as `run` reads them. */
export function planSpec(name: string, profile: ProfileName): { spec: ExperimentSpec; p: ProfileSpec } {
  const parsed = readSpec(name);
  if (!parsed.ok) throw new Error(`invalid spec:\n${parsed.issues.map(formatIssue).join('\n')}`);
  return { spec: parsed.spec, p: profileOf(parsed.spec, profile) };
}

/** The jobs a run of `name` at `profile` executes, in an order that runs each after its inputs. */
export async function stagePlan(name: string, profile: ProfileName): Promise<StagePlan> {
  const { spec, p } = planSpec(name, profile);
  const results = join('reports', spec.pair, `${spec.id}.${profile}.results.json`);
  const report = (inputs: readonly string[]): PlanJob => ({
    id: 'report',
    kind: 'report',
    inputs,
    outputs: [{ what: 'results', key: null, path: results, cached: false }],
    cached: false,
    estimate: 'unknown',
    cost: null,
  });
  const base = { spec: name, profile, kind: spec.kind };
  if (spec.kind === 'sae-sizes') {
    const rates = await calibration();
    const { jobs, notes } = await sizesJobs(spec, p, rates);
    const rateIds = jobs.filter((j) => j.kind === 'sae').map((j) => j.id);
    // Its report reads the rows and writes the tables: no model work to cost.
    const last = {
      ...report(rateIds.length ? rateIds : jobs.map((j) => j.id)),
      cost: costOf({ rate: 'metrics', flops: 0, peakBytes: 0 }, rates),
    };
    return { ...base, perStage: true, notes, jobs: [...jobs, last], calibration: rates };
  }
  if (spec.kind === 'intervention' && !('paths' in p.family)) return await interventionPlan(spec, p, base, report);
  if (spec.kind !== 'feature-dynamics')
    return {
      ...base,
      perStage: false,
      notes: [`kind ${spec.kind} is not planned per stage yet: its one job runs the whole spec`],
      jobs: [report([])],
      calibration: null,
    };
  const jobs: PlanJob[] = [];
  const notes: string[] = [];
  const shape = await planShape(spec, p);
  const { familyId } = shape;
  if (familyId) {
    const slot = familySlot(p, spec.pair);
    jobs.push({
      id: familyId,
      kind: 'family',
      inputs: [],
      outputs: [
        {
          what: `member ${slot.size} of ${slot.dirName}`,
          key: null,
          path: slot.manifestPath,
          cached: !!shape.manifest,
        },
      ],
      cached: !!shape.manifest,
      estimate: 'unknown',
    });
  }
  if (!shape.measured || !shape.config) {
    notes.push(`the checkpoints are known once ${familyId} has run: plan again then`);
    const bare = [...jobs, report([familyId as string])];
    return { ...base, perStage: true, notes, ...(await withCosts(spec, p, shape, bare)) };
  }
  const { measured, layers } = shape;
  const saeIds: string[] = [];
  for (const ck of measured) {
    const [extract, saes] = await checkpointJobs(spec, p, ck, layers, familyId);
    jobs.push(extract, ...saes);
    saeIds.push(...saes.map((j) => j.id));
  }
  return { ...base, perStage: true, notes, ...(await withCosts(spec, p, shape, [...jobs, report(saeIds)])) };
}

/**
 * The intervention kind (Tables 1 and 4): the member, the final checkpoint's stores and SAE at the injection layer
 * (the same jobs and keys a feature-dynamics spec has there), then the report job, which loads both checkpoints and
 * runs every injection setting.
 */
async function interventionPlan(
  spec: ExperimentSpec,
  p: ProfileSpec,
  base: { spec: string; profile: ProfileName; kind: string },
  report: (inputs: readonly string[]) => PlanJob,
): Promise<StagePlan> {
  const slot = familySlot(p, spec.pair);
  const manifest = cachedFamily(p, spec.pair);
  const familyId = `family:${slot.size}`;
  const family: PlanJob = {
    id: familyId,
    kind: 'family',
    inputs: [],
    outputs: [
      { what: `member ${slot.size} of ${slot.dirName}`, key: null, path: slot.manifestPath, cached: !!manifest },
    ],
    cached: !!manifest,
    estimate: 'unknown',
  };
  const member = manifest?.members.find((m) => m.size === slot.size);
  const final = member?.checkpoints.at(-1);
  if (!manifest || !final) {
    const shape: PlanShape = { manifest, familyId, measured: null, layers: [], config: null };
    const notes = [`the checkpoints are known once ${familyId} has run: plan again then`];
    return { ...base, perStage: true, notes, ...(await withCosts(spec, p, shape, [family, report([familyId])])) };
  }
  const config = await readLlamaConfig(final.dir);
  const iv = p.intervention;
  const layer = !iv || iv.layer === 'mid' ? midSite(config.numLayers) : iv.layer;
  const ck = { step: final.step, dir: final.dir };
  const [extract, saes] = await checkpointJobs(spec, p, ck, [layer], familyId);
  const shape: PlanShape = { manifest, familyId, measured: [ck], layers: [layer], config };
  const jobs = [family, extract, ...saes, report(saes.map((j) => j.id))];
  return { ...base, perStage: true, notes: [], ...(await withCosts(spec, p, shape, jobs)) };
}

/** The jobs with their costs, timed at the rates measured by the committed runs (stage-calibrate.ts). */
async function withCosts(
  spec: ExperimentSpec,
  p: ProfileSpec,
  shape: PlanShape,
  jobs: readonly PlanJob[],
): Promise<{ jobs: PlanJob[]; calibration: Rates }> {
  const rates = await calibration();
  const s = shape.config ? { p, config: shape.config, langs: spec.languages.length } : null;
  const work = (j: PlanJob): JobWorkEstimate | null => {
    if (j.kind === 'family') {
      const slot = familySlot(p, spec.pair);
      // Its own profile's family trains whole; one under another seed only the size asked for (family.ts).
      const members =
        slot.profile === slot.own ? slot.profile.members : slot.profile.members.filter((m) => m.size === slot.size);
      return familyJob({ ...slot.profile, members }, shape.manifest);
    }
    if (!s) return null;
    if (j.kind === 'extract') return extractJob(s, j.outputs.length / 2);
    if (j.kind === 'sae') return saeJob(s);
    return reportJob(s, j.inputs.filter((i) => i.startsWith('sae:')).length);
  };
  return {
    jobs: jobs.map((j) => {
      const w = work(j);
      return { ...j, cost: w ? costOf(w, rates) : null };
    }),
    calibration: rates,
  };
}

/** A checkpoint's extract job and its SAE jobs, one per layer. */
async function checkpointJobs(
  spec: ExperimentSpec,
  p: ProfileSpec,
  ck: { readonly step: number; readonly dir: string },
  layers: readonly number[],
  familyId: string | null,
): Promise<[PlanJob, PlanJob[]]> {
  const name = basename(ck.dir);
  const extractId = `extract:${name}`;
  // The random-init checkpoint is written by its extract job: until then its stores have no key.
  const model = existsSync(join(ck.dir, 'config.json'))
    ? { fingerprint: await modelFingerprint(ck.dir), dModel: (await readLlamaConfig(ck.dir)).hiddenSize }
    : null;
  const stores = async (split: Split) =>
    model
      ? await Promise.all(
          (await planStores({ ...storeRequest(spec, p, layers, split), ...model })).map(async (s) => ({
            split,
            layer: s.layer,
            key: s.key,
            path: s.dir,
            manifest: await storeComplete(s),
          })),
        )
      : layers.map((layer) => ({ split, layer, key: null, path: null, manifest: null }));
  const all = [...(await stores('train')), ...(await stores('eval'))];
  const tokens = (split: Split) => storeRequest(spec, p, layers, split).tokensPerLang;
  const extract: PlanJob = {
    id: extractId,
    kind: 'extract',
    inputs: familyId ? [familyId] : [],
    outputs: all.map((s) => ({
      what: `${s.split} store L${s.layer}`,
      key: s.key,
      path: s.path,
      cached: s.manifest !== null,
    })),
    cached: all.every((s) => s.manifest !== null),
    estimate: `${tokens('train') + tokens('eval')} tokens x ${spec.languages.length} languages, one forward pass`,
    checkpoint: ck,
  };
  const saes = layers.map((layer): PlanJob => {
    const train = all.find((s) => s.split === 'train' && s.layer === layer);
    const slot = train?.key && model ? saeSlot(p, train.key, model.dModel) : null;
    const cached = slot !== null && saeSaved(slot.dir);
    return {
      id: `sae:${name}@L${layer}`,
      kind: 'sae',
      inputs: [extractId],
      outputs: [{ what: `SAE L${layer}`, key: slot?.key ?? null, path: slot?.dir ?? null, cached }],
      cached,
      estimate: train?.manifest ? `${saeSteps(p, train.manifest.rows)} steps` : 'unknown',
      checkpoint: ck,
      layer,
    };
  });
  return [extract, saes];
}

/** The plan as a table: one row per job, its cost, then the calibration and the wall time on 1, 8 and 64 nodes. */
export function renderPlan(plan: StagePlan): string {
  const gpu = GPU_CLASSES[0]?.name ?? '';
  const rows = plan.jobs.map((j) => [
    j.id,
    j.kind,
    j.cached ? 'yes' : 'no',
    j.estimate,
    j.cost ? formatSeconds(j.cost.cpuSeconds) : '-',
    j.cost ? formatBytes(j.cost.peakBytes) : '-',
    j.cost?.gpuSeconds?.[gpu] !== undefined ? formatSeconds(j.cost.gpuSeconds[gpu]) : '-',
    j.inputs.length > 3 ? `${j.inputs.length} jobs` : j.inputs.join(' ') || '-',
    j.outputs.map((o) => o.key?.slice(0, 12) ?? o.path ?? '?').join(' '),
  ]);
  const head = ['job', 'kind', 'cached', 'estimate', 'CPU time', 'peak mem', gpu, 'inputs', 'output keys'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(w[i] as number))
      .join('  ')
      .trimEnd();
  const cached = plan.jobs.filter((j) => j.cached).length;
  return [
    `${plan.spec} (${plan.profile}, ${plan.kind}): ${plan.jobs.length} jobs, ${cached} cached`,
    ...plan.notes.map((n) => `note: ${n}`),
    '',
    line(head),
    ...rows.map(line),
    ...costLines(plan),
  ].join('\n');
}

/** The totals under the table: the calibration, CPU time, critical path and wall time from an empty cache. */
function costLines(plan: StagePlan): string[] {
  const c = plan.calibration;
  if (!c) return [];
  const gpu = GPU_CLASSES[0]?.name ?? '';
  const { levels } = sweepLevels([plan]);
  const cpu = levels.reduce((a, l) => a + l.jobs.reduce((b, j) => b + j.cost.cpuSeconds, 0), 0);
  const sources = [...new Set(Object.values(c.stages).map((s) => s.source))].join(', ');
  return [
    '',
    `CPU time: seconds of one task at ${c.threads} threads on ${c.cpu}, FLOPs at the FLOP/s measured in ${sources}` +
      " (extract, sae: their stages; report: the metric passes); the family: its manifest's training seconds." +
      ` Peak memory is an estimate of the buffers held. ${gpu}: FLOPs at ${GPU_CLASSES[0]?.source ?? ''}.`,
    `From an empty cache: ${formatSeconds(cpu)} of CPU time; critical path ${formatSeconds(criticalPathSeconds(levels))};` +
      ` wall on 1, 8, 64 nodes (1 task each): ${[1, 8, 64].map((n) => formatSeconds(wallSeconds(levels, n))).join(', ')}.`,
  ];
}
