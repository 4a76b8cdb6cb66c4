// The stage levels of a per-stage sweep: the plans' extract jobs, then their SAE jobs, each level one Slurm array
// after the one before. The family level is the sweep's family job and the last level its report array.
import type { PlanJob, StagePlan } from '../../harness/src/stage-plan.ts';
import type { StageTask } from './submit.ts';

/** One job of a level and the spec whose plan it is of. */
export interface LevelJob {
  readonly spec: string;
  readonly job: PlanJob;
}

export interface StageLevel {
  readonly name: 'extract' | 'sae';
  readonly jobs: readonly LevelJob[];
}

/** The keys a job writes, or null when one is not known before its inputs exist. */
function keysOf(job: PlanJob): ReadonlySet<string> | null {
  const keys = job.outputs.map((o) => o.key);
  return keys.every((k) => k !== null) ? new Set(keys as string[]) : null;
}

/**
 * The extract and sae levels of these plans: every job not cached, once. A job whose outputs another job of its
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
    const jobs = all
      .filter(({ keys }, i) => {
        if (keys === null) return true;
        // Left out when another writes all its keys: a larger set, or an equal one earlier.
        return !all.some(
          (o, j) => j !== i && o.keys !== null && covers(o.keys, keys) && (o.keys.size > keys.size || j < i),
        );
      })
      .map(({ spec, job }): LevelJob => ({ spec, job }));
    if (jobs.length > 0) out.push({ name, jobs });
  }
  return out;
}

/**
 * A level's jobs as array tasks: consecutive jobs of one spec share a task, up to `perTask` of them, so small jobs
 * do not each pay a process start and a plan (about 3 s here) for seconds of work.
 */
export function packTasks(jobs: readonly LevelJob[], perTask: number): StageTask[] {
  if (!Number.isInteger(perTask) || perTask < 1) throw new RangeError(`packTasks: perTask ${perTask} is not >= 1`);
  const tasks: { spec: string; jobs: string[] }[] = [];
  for (const { spec, job } of jobs) {
    const last = tasks.at(-1);
    if (last && last.spec === spec && last.jobs.length < perTask) last.jobs.push(job.id);
    else tasks.push({ spec, jobs: [job.id] });
  }
  return tasks;
}
