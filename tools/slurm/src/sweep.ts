// A sweep's submissions on disk and what they add up to: each round (the first submission, then one per
// `slurm submit --resume`) writes round.json with the Slurm job ids of its family job, stage arrays (with the jobs of
// each array task) and spec array; `slurm status` reads them with the cache and squeue to tell, per stage, what is
// done, running, pending or failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StagePlan } from '../../harness/src/stage-plan.ts';
import type { StageTask } from './submit.ts';

export interface RoundLevel {
  readonly name: string;
  /** The array's Slurm job id (a placeholder under --dry-run). */
  readonly id: string;
  readonly tasks: readonly StageTask[];
}

export interface SweepRound {
  readonly round: number;
  readonly family: string | null;
  readonly levels: readonly RoundLevel[];
  /** The spec array: its id and the specs of its tasks, in task order. */
  readonly array: { readonly id: string; readonly specs: readonly string[] };
  readonly gather: string;
}

/** Where a round's scripts and round.json go: the sweep folder for round 0, round-<N>/ for a resumed one. */
export function roundDir(dir: string, round: number): string {
  return round === 0 ? dir : join(dir, `round-${round}`);
}

/** The rounds submitted so far, in order; a round.json that does not parse is named. */
export function readRounds(dir: string): SweepRound[] {
  const rounds = [0, ...readdirSync(dir).flatMap((f) => (/^round-\d+$/.test(f) ? [Number(f.slice(6))] : []))].sort(
    (a, b) => a - b,
  );
  return rounds.flatMap((r) => {
    const f = join(roundDir(dir, r), 'round.json');
    if (!existsSync(f)) return [];
    try {
      const v = JSON.parse(readFileSync(f, 'utf8')) as SweepRound;
      if (v.round !== r || !Array.isArray(v.levels) || !Array.isArray(v.array?.specs)) throw new Error('not a round');
      return [v];
    } catch (e) {
      throw new Error(`${f}: not a sweep round (${(e as Error).message})`);
    }
  });
}

/**
 * Every Slurm job id these rounds submitted (arrays as their job id). A --dry-run round names its jobs by script
 * (`<sae.sbatch>`) instead: those were never submitted and are left out.
 */
export function roundJobIds(rounds: readonly SweepRound[]): string[] {
  return rounds
    .flatMap((r) => [...(r.family ? [r.family] : []), ...r.levels.map((l) => l.id), r.array.id, r.gather])
    .filter((id) => /^\d+$/.test(id));
}

/** squeue's states of array tasks and jobs: `squeue -h -r -o '%i %T'` lines, as id -> state. */
export function parseSqueue(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) m.set(id, state);
  }
  return m;
}

export type JobState = 'done' | 'running' | 'pending' | 'failed';

export interface StageCount {
  readonly stage: string;
  readonly counts: Readonly<Record<JobState, number>>;
  /** Ids (spec job) not done, for the lines after the table. */
  readonly open: readonly { readonly what: string; readonly state: JobState }[];
}

/** squeue's state of one array task (or the whole array while it is one pending line) as a JobState, or null. */
function queued(states: ReadonlyMap<string, string> | null, arrayId: string, task: number): JobState | null {
  if (!states) return null;
  const s = states.get(`${arrayId}_${task}`) ?? states.get(arrayId);
  if (!s) return null;
  return s === 'RUNNING' || s === 'COMPLETING' || s === 'CONFIGURING' ? 'running' : s === 'PENDING' ? 'pending' : null;
}

/**
 * Per stage, how many jobs are done (in the cache now, `now` being fresh plans), running or pending (the latest
 * round's array task that holds the job, as squeue tells: null when squeue did not answer), or failed (neither in the
 * cache nor queued). The report stage reads the specs' status files (`reportRc`: a spec's exit code, or null).
 */
export function stageCounts(
  rounds: readonly SweepRound[],
  now: readonly StagePlan[],
  reportRc: (spec: string) => number | null,
  states: ReadonlyMap<string, string> | null,
): StageCount[] {
  const cached = new Map<string, boolean>(now.flatMap((p) => p.jobs.map((j) => [`${p.spec} ${j.id}`, j.cached])));
  const latest = new Map<string, { level: string; id: string; task: number }>();
  for (const r of rounds)
    for (const l of r.levels)
      l.tasks.forEach((t, task) => {
        for (const j of t.jobs) latest.set(`${t.spec} ${j}`, { level: l.name, id: l.id, task });
      });
  const out: StageCount[] = [];
  for (const stage of [...new Set(rounds.flatMap((r) => r.levels.map((l) => l.name)))]) {
    const counts: Record<JobState, number> = { done: 0, running: 0, pending: 0, failed: 0 };
    const open: { what: string; state: JobState }[] = [];
    for (const [what, at] of latest) {
      if (at.level !== stage) continue;
      const state: JobState = cached.get(what) ? 'done' : (queued(states, at.id, at.task) ?? 'failed');
      counts[state]++;
      if (state !== 'done') open.push({ what, state });
    }
    out.push({ stage, counts, open });
  }
  const lastArray = new Map<string, { id: string; task: number }>();
  for (const r of rounds) r.array.specs.forEach((spec, task) => lastArray.set(spec, { id: r.array.id, task }));
  const counts: Record<JobState, number> = { done: 0, running: 0, pending: 0, failed: 0 };
  const open: { what: string; state: JobState }[] = [];
  for (const [spec, at] of lastArray) {
    const q = queued(states, at.id, at.task);
    const state: JobState = q ?? (reportRc(spec) === 0 ? 'done' : 'failed');
    counts[state]++;
    if (state !== 'done') open.push({ what: `${spec} report`, state });
  }
  out.push({ stage: 'report', counts, open });
  return out;
}

/** The status table: one row per stage, then each job not done. */
export function formatStageCounts(rows: readonly StageCount[], squeueAnswered: boolean): string {
  const lines = [
    '| stage | done | running | pending | failed | total |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const c = r.counts;
      return `| ${r.stage} | ${c.done} | ${c.running} | ${c.pending} | ${c.failed} | ${c.done + c.running + c.pending + c.failed} |`;
    }),
  ];
  const open = rows.flatMap((r) => r.open);
  if (open.length > 0) lines.push('', ...open.map((o) => `${o.state}: ${o.what}`));
  if (!squeueAnswered) lines.push('', 'squeue did not answer: jobs not in the cache are counted as failed.');
  return lines.join('\n');
}
