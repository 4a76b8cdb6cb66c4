// One job of a spec's stage plan (`saetrace job`), run by the functions `saetrace run` calls for that stage.
import { ActivationStore } from '@saetrace/activations';
import type { Progress } from '@saetrace/engine';
import { checkpointSae, extractCheckpoint } from './kinds/checkpoint-stages.ts';
import { randomInitCheckpoint, resolveCheckpoints } from './family.ts';
import { runExperiment, type RunOutcome } from './run.ts';
import type { ProfileName } from './spec.ts';
import { planSpec, stagePlan, type PlanJob } from './stage-plan.ts';

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
  | { readonly status: 'cached'; readonly job: PlanJob }
  | { readonly status: 'missing'; readonly job: PlanJob; readonly missing: readonly string[] }
  | { readonly status: 'done'; readonly job: PlanJob; readonly run?: RunOutcome };

/**
 * Runs one job of the plan of `name` at `profile`: nothing when its outputs are cached, a refusal naming the inputs
 * not yet cached, otherwise its stage (the report job: the whole spec, which then finds every stage cached).
 */
export async function runJob(
  name: string,
  profile: ProfileName,
  id: string,
  options: { log?: (s: string) => void; progress?: Progress } = {},
): Promise<JobOutcome> {
  const plan = await stagePlan(name, profile);
  const job = plan.jobs.find((j) => j.id === id);
  if (!job)
    throw new UnknownJobError(
      id,
      plan.jobs.map((j) => j.id),
    );
  if (job.cached) return { status: 'cached', job };
  const missing = job.inputs.filter((i) => !plan.jobs.find((j) => j.id === i)?.cached);
  if (missing.length > 0) return { status: 'missing', job, missing };
  const { spec, p } = planSpec(name, profile);
  const log = options.log ?? (() => {});
  switch (job.kind) {
    case 'report':
      return { status: 'done', job, run: await runExperiment(name, profile, options) };
    case 'family':
      await resolveCheckpoints(p, spec.pair, { threads: p.threads, log, progress: options.progress });
      return { status: 'done', job };
    case 'extract': {
      const ck = job.checkpoint as NonNullable<PlanJob['checkpoint']>;
      // Step 0 is the random init, written beside the family's checkpoints as the run writes it.
      if (ck.step === 0) await randomInitCheckpoint(p, spec.pair, await resolveCheckpoints(p, spec.pair), name);
      await extractCheckpoint(spec, p, ck.dir, layersOfPlan(plan.jobs, job.id), options.progress);
      return { status: 'done', job };
    }
    case 'sae': {
      const ck = job.checkpoint as NonNullable<PlanJob['checkpoint']>;
      const layer = job.layer as number;
      const extract = plan.jobs.find((j) => j.id === job.inputs[0]);
      const store = extract?.outputs.find((o) => o.what === `train store L${layer}`)?.path;
      if (!store) throw new Error(`${job.id}: the plan names no train store of layer ${layer}`);
      await checkpointSae(
        spec,
        p,
        ck.dir,
        layer,
        await ActivationStore.open(store, { retainShards: true }),
        options.progress,
      );
      return { status: 'done', job };
    }
  }
}

/** The layers an extract job writes: those of the SAE jobs reading it. */
function layersOfPlan(jobs: readonly PlanJob[], extractId: string): number[] {
  return jobs.filter((j) => j.kind === 'sae' && j.inputs.includes(extractId)).map((j) => j.layer as number);
}
