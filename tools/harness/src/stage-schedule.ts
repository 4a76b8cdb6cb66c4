// Wall time of a sweep on N nodes, from its jobs' costs (stage-cost.ts), run as the per-stage Slurm arrays run it
// (tools/slurm/src/stages.ts): the family level, then extract, then sae, then report, each level after the one before
// has ended (afterok), its tasks dispatched in array order to whichever of the N x c task slots frees first.
import type { JobCost } from './stage-cost.ts';
import type { PlanJob, PlanJobKind } from './stage-plan.ts';

export interface CostedJob {
  readonly id: string;
  readonly cost: JobCost;
}

export interface Level {
  readonly name: PlanJobKind;
  readonly jobs: readonly CostedJob[];
}

export const LEVEL_ORDER: readonly PlanJobKind[] = ['family', 'extract', 'sae', 'report'];

/**
 * The makespan of `seconds` on `slots` parallel slots, list-scheduled in the given order (each to the slot that
 * frees first), as Slurm starts an array's tasks by index.
 */
export function makespan(seconds: readonly number[], slots: number): number {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}`);
  const free = new Array<number>(Math.min(slots, Math.max(1, seconds.length))).fill(0);
  for (const s of seconds) {
    if (!(s >= 0)) throw new RangeError(`a job's seconds must be >= 0, got ${s}`);
    let i = 0;
    for (let j = 1; j < free.length; j++) if ((free[j] as number) < (free[i] as number)) i = j;
    free[i] = (free[i] as number) + s;
  }
  return Math.max(0, ...free);
}

/** Which seconds of a cost to schedule: CPU seconds, or a GPU class's (`gpuSecondsOf`). */
export type SecondsOf = (c: JobCost) => number;

export const cpuSecondsOf: SecondsOf = (c) => c.cpuSeconds;

/** A GPU class's seconds; a cost without them is an error (it was not estimated for GPUs). */
export function gpuSecondsOf(name: string): SecondsOf {
  return (c) => {
    const s = c.gpuSeconds?.[name];
    if (s === undefined) throw new Error(`a job has no ${name} seconds`);
    return s;
  };
}

/** Wall seconds on `nodes` nodes running `tasksPerNode` tasks each: the sum over levels of their makespans. */
export function wallSeconds(
  levels: readonly Level[],
  nodes: number,
  tasksPerNode = 1,
  seconds: SecondsOf = cpuSecondsOf,
): number {
  return levels.reduce(
    (a, l) =>
      a +
      makespan(
        l.jobs.map((j) => seconds(j.cost)),
        nodes * tasksPerNode,
      ),
    0,
  );
}

/** The critical path: the sum over levels of the longest job (the wall time with unlimited nodes). */
export function criticalPathSeconds(levels: readonly Level[], seconds: SecondsOf = cpuSecondsOf): number {
  return levels.reduce((a, l) => a + Math.max(0, ...l.jobs.map((j) => seconds(j.cost))), 0);
}

/** The keys a job writes (its output path where a key is not known), or null when some output is not named. */
function writes(job: PlanJob): ReadonlySet<string> | null {
  const ids = job.outputs.map((o) => o.key ?? (job.kind === 'family' ? o.path : null));
  return ids.every((k) => k !== null) ? new Set(ids as string[]) : null;
}

/**
 * The levels of a sweep of several specs' jobs, cached ones included (the cost of a run from an empty cache): a
 * job whose outputs another job of its level writes too (equal, or a subset such as one layer's store of a checkpoint
 * an all-layer spec extracts) is counted once, as tools/slurm/src/stages.ts submits it once. Jobs without a cost
 * (a kind not planned per stage) are left out and counted in `uncosted`.
 */
export function sweepLevels(plans: readonly { readonly jobs: readonly PlanJob[] }[]): {
  levels: Level[];
  uncosted: number;
} {
  let uncosted = 0;
  const levels = LEVEL_ORDER.map((name): Level => {
    const all = plans.flatMap((p) => p.jobs.filter((j) => j.kind === name)).map((job) => ({ job, keys: writes(job) }));
    const covers = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...b].every((k) => a.has(k));
    const kept = all.filter(
      ({ keys }, i) =>
        keys === null ||
        !all.some((o, j) => j !== i && o.keys !== null && covers(o.keys, keys) && (o.keys.size > keys.size || j < i)),
    );
    const jobs: CostedJob[] = [];
    for (const { job } of kept)
      if (job.cost) jobs.push({ id: job.id, cost: job.cost });
      else uncosted++;
    return { name, jobs };
  });
  return { levels: levels.filter((l) => l.jobs.length > 0), uncosted };
}

export interface SbatchResources {
  readonly cpusPerTask: number;
  readonly memMB: number;
  readonly timeMinutes: number;
}

/** Peak memory headroom: the estimate times 1.5, plus 1 GiB for Node, V8 and onnxruntime themselves. */
export const MEM_FACTOR = 1.5;
export const MEM_BASE_MB = 1024;
/** Time limit: 3 x the longest estimate, at least 5 minutes (an estimate from one CPU, run on another). */
export const TIME_FACTOR = 3;
export const TIME_MIN_MINUTES = 5;

/**
 * sbatch resources for one array level: `--cpus-per-task` as given, `--mem` from the largest peak and `--time` from
 * the longest job. Seconds were measured at `calibrationThreads`; with fewer CPUs per task they scale up in
 * proportion, with more they are not scaled down (threads speed a job up less than linearly).
 */
export function sbatchResources(
  costs: readonly JobCost[],
  cpusPerTask: number,
  calibrationThreads: number,
): SbatchResources {
  if (costs.length === 0) throw new RangeError('sbatchResources: no jobs in the level');
  if (!Number.isInteger(cpusPerTask) || cpusPerTask < 1)
    throw new RangeError(`cpusPerTask must be a positive integer, got ${cpusPerTask}`);
  if (!(calibrationThreads >= 1)) throw new RangeError(`calibrationThreads must be >= 1, got ${calibrationThreads}`);
  const peak = Math.max(...costs.map((c) => c.peakBytes));
  const longest = Math.max(...costs.map((c) => c.cpuSeconds));
  const scale = Math.max(1, calibrationThreads / cpusPerTask);
  return {
    cpusPerTask,
    memMB: Math.ceil((peak * MEM_FACTOR) / 2 ** 20) + MEM_BASE_MB,
    timeMinutes: Math.max(TIME_MIN_MINUTES, Math.ceil((TIME_FACTOR * longest * scale) / 60)),
  };
}

/** Seconds as s, min or h, three significant digits. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toPrecision(3)} s`;
  if (s < 3600) return `${(s / 60).toPrecision(3)} min`;
  return `${(s / 3600).toPrecision(3)} h`;
}

/** Bytes as MiB or GiB. */
export function formatBytes(b: number): string {
  return b < 2 ** 30 ? `${(b / 2 ** 20).toPrecision(3)} MiB` : `${(b / 2 ** 30).toPrecision(3)} GiB`;
}
