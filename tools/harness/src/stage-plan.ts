// The stage graph a run of one spec executes (`saetrace plan`): family, extraction per checkpoint, an SAE per
// checkpoint and layer, then the report. Every output is named by the key the run itself computes
// (kinds/checkpoint-stages.ts, @saetrace/activations planStores), so a plan's "cached" is the run's.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { planStores, storeComplete } from '@saetrace/activations';
import { modelFingerprint, readLlamaConfig } from '@saetrace/lm';
import { saeSaved, saeSlot, saeSteps, storeRequest, type Split } from './kinds/checkpoint-stages.ts';
import { layersOf, selectCheckpoints } from './kinds/feature-dynamics.ts';
import { cachedFamily, familySlot, randomInitDir, resolveCheckpoints, type ResolvedCheckpoint } from './family.ts';
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
  /** The checkpoint an extract or sae job reads. */
  readonly checkpoint?: { readonly step: number; readonly dir: string };
  readonly layer?: number;
}

export interface StagePlan {
  readonly spec: string;
  readonly profile: ProfileName;
  readonly kind: string;
  /** False where the kind is not split into stages: its one job is the whole run. */
  readonly perStage: boolean;
  readonly notes: readonly string[];
  readonly jobs: readonly PlanJob[];
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
  });
  const base = { spec: name, profile, kind: spec.kind };
  if (spec.kind !== 'feature-dynamics')
    return {
      ...base,
      perStage: false,
      notes: [`kind ${spec.kind} is not planned per stage yet: its one job runs the whole spec`],
      jobs: [report([])],
    };
  const jobs: PlanJob[] = [];
  const notes: string[] = [];
  let checkpoints: ResolvedCheckpoint[];
  let familyId: string | null = null;
  if ('paths' in p.family) checkpoints = (await resolveCheckpoints(p, spec.pair)).checkpoints;
  else {
    const slot = familySlot(p, spec.pair);
    const manifest = cachedFamily(p, spec.pair);
    familyId = `family:${slot.size}`;
    jobs.push({
      id: familyId,
      kind: 'family',
      inputs: [],
      outputs: [
        { what: `member ${slot.size} of ${slot.dirName}`, key: null, path: slot.manifestPath, cached: !!manifest },
      ],
      cached: !!manifest,
      estimate: 'unknown',
    });
    const member = manifest?.members.find((m) => m.size === slot.size);
    if (!member) {
      notes.push(`the checkpoints are known once ${familyId} has run: plan again then`);
      return { ...base, perStage: true, notes, jobs: [...jobs, report([familyId])] };
    }
    checkpoints = member.checkpoints.map((c) => ({ size: slot.size, step: c.step, tokens: c.tokens, dir: c.dir }));
  }
  const final = checkpoints.at(-1) as ResolvedCheckpoint;
  const layers = layersOf(p, (await readLlamaConfig(final.dir)).numLayers);
  const chosen = selectCheckpoints(checkpoints, p.checkpoints, `spec ${spec.id}`, final.size);
  const measured = chosen.map((c) => ({ step: c.step, dir: c.dir }));
  if (p.randomInit) measured.push({ step: 0, dir: randomInitDir(p, spec.pair, final.size) });
  const saeIds: string[] = [];
  for (const ck of measured) {
    const [extract, saes] = await checkpointJobs(spec, p, ck, layers, familyId);
    jobs.push(extract, ...saes);
    saeIds.push(...saes.map((j) => j.id));
  }
  return { ...base, perStage: true, notes, jobs: [...jobs, report(saeIds)] };
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

/** The plan as a table: one row per job. */
export function renderPlan(plan: StagePlan): string {
  const rows = plan.jobs.map((j) => [
    j.id,
    j.kind,
    j.cached ? 'yes' : 'no',
    j.estimate,
    j.inputs.length > 3 ? `${j.inputs.length} jobs` : j.inputs.join(' ') || '-',
    j.outputs.map((o) => o.key?.slice(0, 12) ?? o.path ?? '?').join(' '),
  ]);
  const head = ['job', 'kind', 'cached', 'estimate', 'inputs', 'output keys'];
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
  ].join('\n');
}
