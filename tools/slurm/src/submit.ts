// Slurm scripts for a sweep of specs: a family job per profile (so array tasks never train one family twice at
// once), one array task per <pair>/<id> spec running `saetrace run`, and a gather job after the array that
// reads every task's status file. Pure: the command (tools/cli/src/commands/slurm.ts) writes and submits them.
import { readFileSync } from 'node:fs';
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
  /** The saetrace CLI script (absolute); default tools/cli/bin/saetrace.mjs under root. */
  readonly bin?: string;
  readonly partition?: string;
  readonly account?: string;
  readonly cpus: number;
  readonly timeMinutes: number;
  /** Memory per task in MiB (`--mem`); Slurm's default per CPU when absent. */
  readonly memMB?: number;
  /** GPUs per task (`--gres=gpu:N`). */
  readonly gpus?: number;
  /** Each spec's task runs its plan's report job (`saetrace job <spec> report`), after the stage arrays. */
  readonly perStage?: boolean;
  /** The submission round: 0 first, 1.. for each `--resume`; names its logs (r<N>-...). */
  readonly round?: number;
}

/** The resources of one job or array (each task's): from the options, or a stage level's estimate. */
export interface Resources {
  readonly cpus: number;
  readonly timeMinutes: number;
  readonly memMB?: number;
  readonly gpus?: number;
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

/** A log file of this round: logs/<name>, or logs/r<N>-<name> for a resumed round. */
export function logPath(o: Pick<SweepOptions, 'dir' | 'round'>, name: string): string {
  return join(o.dir, 'logs', `${o.round ? `r${o.round}-` : ''}${name}`);
}

/** A spec's status file (the spec's task writes it; a later round's task of the same spec replaces it). */
export function statusFile(dir: string, spec: string): string {
  return join(dir, 'status', `${spec.replace('/', '__')}.json`);
}

function header(o: SweepOptions, name: string, extra: string[], res: Resources = o): string {
  return [
    '#!/usr/bin/env bash',
    `#SBATCH --job-name=${name}`,
    `#SBATCH --cpus-per-task=${res.cpus}`,
    `#SBATCH --time=${res.timeMinutes}`,
    ...(res.memMB ? [`#SBATCH --mem=${res.memMB}M`] : []),
    ...(res.gpus ? [`#SBATCH --gres=gpu:${res.gpus}`] : []),
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.account ? [`#SBATCH --account=${o.account}`] : []),
    ...extra,
    '# written by saetrace slurm submit (tools/slurm/src/submit.ts)',
    'set -uo pipefail',
    `cd ${shellQuote(o.root)}`,
    `export SAETRACE_THREADS=${res.cpus}`,
    `saetrace() { ${shellQuote(o.node)} ${shellQuote(o.bin ?? join(o.root, 'tools/cli/bin/saetrace.mjs'))} "$@"; }`,
  ].join('\n');
}

/** Trains each pair's family for the profile (resumes a half-trained one; a trained one is a no-op). */
export function familyScript(o: SweepOptions): string {
  const pairs = familyPairs(o);
  return `${[
    header(o, 'saetrace-family', [`#SBATCH --output=${logPath(o, 'family.out')}`]),
    'rc=0',
    ...pairs.map((p) => `saetrace zoo train --profile ${o.profile} --pair ${p} --quiet || rc=1`),
    'exit $rc',
  ].join('\n')}\n`;
}

/**
 * One task per spec (`specs`, by default all the sweep's): `saetrace run <spec> --profile P`, or its report job
 * per stage; its exit code and time written to status/<spec>.json.
 */
export function arrayScript(o: SweepOptions, specs: readonly string[] = o.specs): string {
  return `${[
    header(o, 'saetrace-specs', [
      `#SBATCH --array=0-${specs.length - 1}`,
      `#SBATCH --output=${logPath(o, 'task-%a.out')}`,
    ]),
    `specs=(${specs.map(shellQuote).join(' ')})`,
    'spec=${specs[$SLURM_ARRAY_TASK_ID]}',
    'start=$(date +%s)',
    o.perStage
      ? `saetrace job "$spec" report --profile ${o.profile} --plan ${shellQuote(join(o.dir, 'plan.json'))}`
      : `saetrace run "$spec" --profile ${o.profile} --quiet`,
    'rc=$?',
    `status=${shellQuote(join(o.dir, 'status'))}`,
    'name=${spec/\\//__}',
    'printf \'{"task":%d,"spec":"%s","rc":%d,"seconds":%d}\\n\' "$SLURM_ARRAY_TASK_ID" "$spec" "$rc" "$(( $(date +%s) - start ))" > "$status/.$name.$$.tmp"',
    'mv "$status/.$name.$$.tmp" "$status/$name.json"',
    'exit $rc',
  ].join('\n')}\n`;
}

/** Jobs of one spec's stage plan (tools/harness/src/stage-plan.ts) that one array task runs, in this order. */
export interface StageTask {
  readonly spec: string;
  readonly jobs: readonly string[];
}

/**
 * One array script of a stage level: task i runs `saetrace job <spec> <job>...` of the i-th task against the
 * sweep's plan.json. A job that finds its inputs missing exits 1, so the next level (afterok) does not start.
 */
export function stageArrayScript(
  o: SweepOptions,
  level: string,
  tasks: readonly StageTask[],
  res: Resources = o,
): string {
  return `${[
    header(
      o,
      `saetrace-${level}`,
      [`#SBATCH --array=0-${tasks.length - 1}`, `#SBATCH --output=${logPath(o, `${level}-%a.out`)}`],
      res,
    ),
    `specs=(${tasks.map((t) => shellQuote(t.spec)).join(' ')})`,
    `jobs=(${tasks.map((t) => shellQuote(t.jobs.join(' '))).join(' ')})`,
    '# The ids hold no spaces or glob characters: word splitting gives them one by one.',
    `saetrace job "\${specs[$SLURM_ARRAY_TASK_ID]}" \${jobs[$SLURM_ARRAY_TASK_ID]} --profile ${o.profile} --plan ${shellQuote(join(o.dir, 'plan.json'))}`,
  ].join('\n')}\n`;
}

/** After the array, whatever its outcome: `saetrace slurm gather DIR`. */
export function gatherScript(o: SweepOptions): string {
  return `${[
    header(o, 'saetrace-gather', [`#SBATCH --output=${logPath(o, 'gather.out')}`], { cpus: 1, timeMinutes: 10 }),
    `saetrace slurm gather ${shellQuote(o.dir)}`,
  ].join('\n')}\n`;
}

/** Every spec's outcome from the status files; a spec without one did not finish (killed, timed out, never ran). */
export function readStatuses(
  dir: string,
  specs: readonly string[],
): (TaskStatus | { task: number; spec: string; rc: null })[] {
  return specs.map((spec, task) => {
    const where = statusFile(dir, spec);
    let text: string;
    try {
      text = readFileSync(where, 'utf8');
    } catch {
      return { task, spec, rc: null };
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
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
    if (s.spec !== spec) throw new Error(`${where}: holds the status of ${s.spec}, not ${spec}`);
    return { ...(s as TaskStatus), task };
  });
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
