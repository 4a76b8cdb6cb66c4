// The stage levels of a per-stage sweep: the plans' extract jobs, then their SAE jobs, each level one Slurm array
// after the one before. The family level is the sweep's family job and the last level its report array.
import type { JobCost } from '../../harness/src/stage-cost.ts';
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

/** When a task is full: at `maxJobs` jobs, or once its jobs' estimated seconds reach `minSeconds`. */
export interface Packing {
  readonly maxJobs: number;
  readonly minSeconds?: number;
}

/** A job's estimated CPU seconds (stage-cost.ts); a job without an estimate counts as a full task. */
const secondsOf = (job: PlanJob, p: Packing) => job.cost?.cpuSeconds ?? p.minSeconds ?? 0;

/**
 * A level's jobs as array tasks: consecutive jobs of one spec share a task until it is full, so small jobs do not
 * each pay a process start and a plan (about 3 s here) for seconds of work, while long jobs keep a task each.
 */
export function packTasks(jobs: readonly LevelJob[], packing: Packing): StageTask[] {
  const { maxJobs } = packing;
  if (!(maxJobs >= 1)) throw new RangeError(`packTasks: maxJobs ${maxJobs} is not >= 1`);
  const tasks: { spec: string; jobs: string[]; seconds: number }[] = [];
  for (const { spec, job } of jobs) {
    const last = tasks.at(-1);
    const full =
      last && (last.jobs.length >= maxJobs || (packing.minSeconds !== undefined && last.seconds >= packing.minSeconds));
    if (last && last.spec === spec && !full) {
      last.jobs.push(job.id);
      last.seconds += secondsOf(job, packing);
    } else tasks.push({ spec, jobs: [job.id], seconds: secondsOf(job, packing) });
  }
  return tasks.map(({ spec, jobs }) => ({ spec, jobs }));
}

/** A packed task's cost for sbatch: its jobs' CPU seconds summed, their largest peak memory (null: not all costed). */
export function taskCost(task: StageTask, level: readonly LevelJob[]): JobCost | null {
  const costs = task.jobs.map((id) => level.find((l) => l.spec === task.spec && l.job.id === id)?.job.cost);
  if (costs.some((c) => !c)) return null;
  const cs = costs as JobCost[];
  return {
    flops: cs.reduce((a, c) => a + c.flops, 0),
    cpuSeconds: cs.reduce((a, c) => a + c.cpuSeconds, 0),
    peakBytes: Math.max(...cs.map((c) => c.peakBytes)),
  };
}
