// One job of a spec's stage plan (`saetrace job`), run by the functions `saetrace run` calls for that stage.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ActivationStore } from '@saetrace/activations';
import { withFileLock, type Progress } from '@saetrace/engine';
import { checkpointSae, extractCheckpoint } from './kinds/checkpoint-stages.ts';
import { sizeRate, sizeStores } from './kinds/sae-sizes.ts';
import { randomInitCheckpoint, resolveCheckpoints } from './family.ts';
import { runExperiment, type RunOutcome } from './run.ts';
import type { ProfileName } from './spec.ts';
import { PlanFileError, sameJob } from './plan-file.ts';
import { planSpec, stagePlan, type PlanJob, type StagePlan } from './stage-plan.ts';

/** Job locks (one per job being computed; gone when it ends). */
export const JOBS_DIR = '.cache/jobs';

/** A job id the plan does not have; `known` lists those it has. */
export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError';
  constructor(
    readonly id: string,
    readonly known: readonly string[],
  ) {
    super(`unknown job '${id}'; the plan's jobs: ${known.join(', ')}`);
  }
}

export type JobOutcome =
  /** `waited`: another process computed it while this one waited for the job's lock. */
  | { readonly status: 'cached'; readonly job: PlanJob; readonly waited?: boolean }
  | { readonly status: 'missing'; readonly job: PlanJob; readonly missing: readonly string[] }
  | { readonly status: 'done'; readonly job: PlanJob; readonly seconds: number; readonly run?: RunOutcome };

export interface JobOptions {
  readonly log?: (s: string) => void;
  readonly progress?: Progress;
  /** The plan the jobs were submitted with (a Slurm run's plan.json): each job must still be the one planned now. */
  readonly stored?: { readonly plan: StagePlan; readonly path: string };
}

/** Where the lock of one job lives: keyed by the spec, profile, id and the output keys it writes. */
function jobLock(plan: StagePlan, job: PlanJob): string {
  const key = createHash('sha256')
    .update(JSON.stringify([plan.spec, plan.profile, job.id, job.outputs.map((o) => o.key)]))
    .digest('hex')
    .slice(0, 24);
  return join(JOBS_DIR, `${key}.lock`);
}

/**
 * Runs jobs of the plan of `name` at `profile` in turn (planned once): nothing for a job whose outputs are cached, a
 * refusal naming the inputs not yet cached, otherwise its stage (the report job: the whole spec, which then finds
 * every stage cached). Each job runs under a lock of its own, so the same job started twice at once (two sweeps on
 * one cache) is computed once: the second waits, plans again, and finds it cached.
 */
export async function runJobs(
  name: string,
  profile: ProfileName,
  ids: readonly string[],
  options: JobOptions = {},
): Promise<JobOutcome[]> {
  let plan = await stagePlan(name, profile);
  const known = plan.jobs.map((j) => j.id);
  for (const id of ids) if (!known.includes(id)) throw new UnknownJobError(id, known);
  if (options.stored) {
    const { plan: stored, path } = options.stored;
    for (const id of ids) {
      const then = stored.jobs.find((j) => j.id === id);
      const now = plan.jobs.find((j) => j.id === id) as PlanJob;
      if (!then) throw new PlanFileError(`${path}: ${name} has no job ${id}`);
      if (!sameJob(then, now))
        throw new PlanFileError(
          `${path}: ${name} ${id} is not the job the code plans now (its inputs or output keys changed: the code or the cache changed since the plan was made); plan again`,
        );
    }
  }
  const out: JobOutcome[] = [];
  for (const id of ids) {
    const job = plan.jobs.find((j) => j.id === id) as PlanJob;
    if (job.cached) {
      out.push({ status: 'cached', job });
      continue;
    }
    const missing = job.inputs.filter((i) => !plan.jobs.find((j) => j.id === i)?.cached);
    if (missing.length > 0) {
      out.push({ status: 'missing', job, missing });
      continue;
    }
    let waited = false;
    const outcome = await withFileLock(
      jobLock(plan, job),
      async (): Promise<JobOutcome> => {
        if (waited) {
          plan = await stagePlan(name, profile);
          const again = plan.jobs.find((j) => j.id === id) as PlanJob;
          if (again.cached) return { status: 'cached', job: again, waited: true };
        }
        const t0 = performance.now();
        const run = await runStage(name, profile, plan, job, options);
        return { status: 'done', job, seconds: (performance.now() - t0) / 1000, ...(run ? { run } : {}) };
      },
      { onWait: () => (waited = true) },
    );
    out.push(outcome);
  }
  return out;
}

/** One job; see runJobs. */
export async function runJob(
  name: string,
  profile: ProfileName,
  id: string,
  options: JobOptions = {},
): Promise<JobOutcome> {
  return (await runJobs(name, profile, [id], options))[0] as JobOutcome;
}

/** The stage of one job whose inputs are cached, by the functions `saetrace run` calls for it. */
async function runStage(
  name: string,
  profile: ProfileName,
  plan: StagePlan,
  job: PlanJob,
  options: JobOptions,
): Promise<RunOutcome | undefined> {
  const { spec, p } = planSpec(name, profile);
  const log = options.log ?? (() => {});
  const progress = options.progress;
  // A sae-sizes job (stage-plan-sizes.ts): one size's stores, or one rate's SAE on them.
  if ((job.kind === 'extract' || job.kind === 'sae') && job.size !== undefined) {
    const stores = await sizeStores(spec, p, job.size, progress);
    if (job.lr !== undefined) await sizeRate(p, stores, job.lr);
    return undefined;
  }
  switch (job.kind) {
    case 'report':
      return await runExperiment(name, profile, { log, ...(progress ? { progress } : {}) });
    case 'family':
      await resolveCheckpoints(p, spec.pair, { threads: p.threads, log, progress });
      return undefined;
    case 'extract': {
      const ck = job.checkpoint as NonNullable<PlanJob['checkpoint']>;
      // Step 0 is the random init, written beside the family's checkpoints as the run writes it.
      if (ck.step === 0) await randomInitCheckpoint(p, spec.pair, await resolveCheckpoints(p, spec.pair), name);
      await extractCheckpoint(spec, p, ck.dir, layersOfPlan(plan.jobs, job.id), progress);
      return undefined;
    }
    case 'sae': {
      const ck = job.checkpoint as NonNullable<PlanJob['checkpoint']>;
      const layer = job.layer as number;
      const extract = plan.jobs.find((j) => j.id === job.inputs[0]);
      const store = extract?.outputs.find((o) => o.what === `train store L${layer}`)?.path;
      if (!store) throw new Error(`${job.id}: the plan names no train store of layer ${layer}`);
      await checkpointSae(spec, p, ck.dir, layer, await ActivationStore.open(store, { retainShards: true }), progress);
      return undefined;
    }
  }
}

/** The layers an extract job writes: those of the SAE jobs reading it. */
function layersOfPlan(jobs: readonly PlanJob[], extractId: string): number[] {
  return jobs.filter((j) => j.kind === 'sae' && j.inputs.includes(extractId)).map((j) => j.layer as number);
}
