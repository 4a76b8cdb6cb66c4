// Slurm scripts for a sweep of specs: a family job per profile (so array tasks never train one family twice at
// once), one array task per <pair>/<id> spec running `saetrace run`, and a gather job after the array that
// reads every task's status file. Pure: the command (tools/cli/src/commands/slurm.ts) writes and submits them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SweepOptions {
  readonly specs: readonly string[];
  readonly profile: 'smoke' | 'default' | 'paper';
  /** The run directory (absolute): scripts, task logs and status files go here. */
  readonly dir: string;
  /** The checkout the jobs run in (absolute; shared with the compute nodes). */
  readonly root: string;
  /** The node binary on the compute nodes. */
  readonly node: string;
  readonly partition?: string;
  readonly cpus: number;
  readonly timeMinutes: number;
  /** Each spec's task runs its plan's report job (`saetrace job <spec> report`), after the stage arrays. */
  readonly perStage?: boolean;
}

export interface TaskStatus {
  readonly task: number;
  readonly spec: string;
  readonly rc: number;
  readonly seconds: number;
}

/** Single-quoted for bash: safe for any path. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Pairs whose self-trained family the specs need (none for the paper profile, which reads checkpoints). */
export function familyPairs(o: Pick<SweepOptions, 'specs' | 'profile'>): string[] {
  if (o.profile === 'paper') return [];
  return [...new Set(o.specs.map((s) => s.split('/')[0] as string))].sort();
}

function header(o: SweepOptions, name: string, extra: string[]): string {
  return [
    '#!/usr/bin/env bash',
    `#SBATCH --job-name=${name}`,
    `#SBATCH --cpus-per-task=${o.cpus}`,
    `#SBATCH --time=${o.timeMinutes}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...extra,
    '# written by saetrace slurm submit (tools/slurm/src/submit.ts)',
    'set -uo pipefail',
    `cd ${shellQuote(o.root)}`,
    `export SAETRACE_THREADS=${o.cpus}`,
    `saetrace() { ${shellQuote(o.node)} tools/cli/bin/saetrace.mjs "$@"; }`,
  ].join('\n');
}

/** Trains each pair's family for the profile (resumes a half-trained one; a trained one is a no-op). */
export function familyScript(o: SweepOptions): string {
  const pairs = familyPairs(o);
  return `${[
    header(o, 'saetrace-family', [`#SBATCH --output=${join(o.dir, 'logs', 'family.out')}`]),
    'rc=0',
    ...pairs.map((p) => `saetrace zoo train --profile ${o.profile} --pair ${p} --quiet || rc=1`),
    'exit $rc',
  ].join('\n')}\n`;
}

/** One task per spec: `saetrace run <spec> --profile P`, its exit code and time written to status/<task>.json. */
export function arrayScript(o: SweepOptions): string {
  return `${[
    header(o, 'saetrace-specs', [
      `#SBATCH --array=0-${o.specs.length - 1}`,
      `#SBATCH --output=${join(o.dir, 'logs', 'task-%a.out')}`,
    ]),
    `specs=(${o.specs.map(shellQuote).join(' ')})`,
    'spec=${specs[$SLURM_ARRAY_TASK_ID]}',
    'start=$(date +%s)',
    o.perStage
      ? `saetrace job "$spec" report --profile ${o.profile} --quiet`
      : `saetrace run "$spec" --profile ${o.profile} --quiet`,
    'rc=$?',
    `status=${shellQuote(join(o.dir, 'status'))}`,
    'printf \'{"task":%d,"spec":"%s","rc":%d,"seconds":%d}\\n\' "$SLURM_ARRAY_TASK_ID" "$spec" "$rc" "$(( $(date +%s) - start ))" > "$status/.$SLURM_ARRAY_TASK_ID.tmp"',
    'mv "$status/.$SLURM_ARRAY_TASK_ID.tmp" "$status/$SLURM_ARRAY_TASK_ID.json"',
    'exit $rc',
  ].join('\n')}\n`;
}

/** One job of one spec's stage plan (tools/harness/src/stage-plan.ts). */
export interface StageTask {
  readonly spec: string;
  readonly job: string;
}

/**
 * One array script of a stage level: task i runs `saetrace job <spec> <job>` of the i-th task. A job that finds
 * its inputs missing exits 1, so the next level (afterok) does not start on a failed one.
 */
export function stageArrayScript(o: SweepOptions, level: string, tasks: readonly StageTask[]): string {
  return `${[
    header(o, `saetrace-${level}`, [
      `#SBATCH --array=0-${tasks.length - 1}`,
      `#SBATCH --output=${join(o.dir, 'logs', `${level}-%a.out`)}`,
    ]),
    `specs=(${tasks.map((t) => shellQuote(t.spec)).join(' ')})`,
    `jobs=(${tasks.map((t) => shellQuote(t.job)).join(' ')})`,
    `saetrace job "\${specs[$SLURM_ARRAY_TASK_ID]}" "\${jobs[$SLURM_ARRAY_TASK_ID]}" --profile ${o.profile} --quiet`,
  ].join('\n')}\n`;
}

/** After the array, whatever its outcome: `saetrace slurm gather DIR`. */
export function gatherScript(o: SweepOptions): string {
  return `${[
    header({ ...o, cpus: 1 }, 'saetrace-gather', [`#SBATCH --output=${join(o.dir, 'logs', 'gather.out')}`]),
    `saetrace slurm gather ${shellQuote(o.dir)}`,
  ].join('\n')}\n`;
}

/** Every task's outcome from the status files; a task without one did not finish (killed, timed out, never ran). */
export function readStatuses(
  dir: string,
  specs: readonly string[],
): (TaskStatus | { task: number; spec: string; rc: null })[] {
  const have = new Map<number, TaskStatus>();
  const sdir = join(dir, 'status');
  for (const f of readdirSync(sdir)) {
    if (!/^\d+\.json$/.test(f)) continue;
    const where = join(sdir, f);
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(where, 'utf8'));
    } catch (e) {
      throw new Error(`${where}: not JSON (${(e as Error).message})`);
    }
    const s = v as Partial<TaskStatus>;
    if (
      !Number.isInteger(s.task) ||
      typeof s.spec !== 'string' ||
      !Number.isInteger(s.rc) ||
      !Number.isFinite(s.seconds)
    )
      throw new Error(`${where}: expected {task, spec, rc, seconds}`);
    if (specs[s.task as number] !== s.spec)
      throw new Error(`${where}: task ${s.task} is ${specs[s.task as number]}, not ${s.spec}`);
    have.set(s.task as number, s as TaskStatus);
  }
  return specs.map((spec, task) => have.get(task) ?? { task, spec, rc: null });
}

/** The sweep's table: one row per spec with its exit code and minutes. */
export function formatStatuses(rows: ReturnType<typeof readStatuses>): string {
  const ok = rows.filter((r) => r.rc === 0).length;
  return [
    '| task | spec | outcome | minutes |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.task} | ${r.spec} | ${r.rc === null ? 'did not finish' : r.rc === 0 ? 'passed' : `failed (exit ${r.rc})`} | ${'seconds' in r ? (r.seconds / 60).toFixed(1) : '-'} |`,
    ),
    '',
    `${ok} of ${rows.length} specs passed.`,
  ].join('\n');
}
