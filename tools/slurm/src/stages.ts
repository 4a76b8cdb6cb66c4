// The stage levels of a per-stage sweep: the plans' extract jobs, then their SAE jobs, each level one Slurm array
// after the one before. The family level is the sweep's family job and the last level its report array.
import type { PlanJob, StagePlan } from '../../harness/src/stage-plan.ts';
import type { StageTask } from './submit.ts';

export interface StageLevel {
  readonly name: 'extract' | 'sae';
  readonly tasks: readonly StageTask[];
}

/** The keys a job writes, or null when one is not known before its inputs exist. */
function keysOf(job: PlanJob): ReadonlySet<string> | null {
  const keys = job.outputs.map((o) => o.key);
  return keys.every((k) => k !== null) ? new Set(keys as string[]) : null;
}

/**
 * The extract and sae levels of these plans: every job not cached, once. A job whose outputs another task of its
 * level writes too (equal keys, or a subset: one layer's store of a checkpoint that an all-layer spec extracts) is
 * left out, so no two tasks write one store or SAE at once. Plan order; empty levels are left out.
 */
export function stageLevels(plans: readonly StagePlan[]): StageLevel[] {
  const out: StageLevel[] = [];
  for (const name of ['extract', 'sae'] as const) {
    const all = plans.flatMap((plan) =>
      plan.jobs.filter((j) => j.kind === name && !j.cached).map((job) => ({ spec: plan.spec, job, keys: keysOf(job) })),
    );
    const covers = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...b].every((k) => a.has(k));
    const tasks = all
      .filter(({ keys }, i) => {
        if (keys === null) return true;
        // Left out when another writes all its keys: a larger set, or an equal one earlier.
        return !all.some(
          (o, j) => j !== i && o.keys !== null && covers(o.keys, keys) && (o.keys.size > keys.size || j < i),
        );
      })
      .map(({ spec, job }): StageTask => ({ spec, job: job.id }));
    if (tasks.length > 0) out.push({ name, tasks });
  }
  return out;
}
