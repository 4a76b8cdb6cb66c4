import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from '@saetrace/engine';
import {
  type PlanFile,
  PlanFileError,
  planOf,
  readPlanFile,
  sameJob,
  writePlanFile,
} from '../../../harness/src/plan-file.ts';
import { knownSpecs } from '../../../harness/src/run.ts';
import type { ProfileName } from '../../../harness/src/spec.ts';
import type { JobCost } from '../../../harness/src/stage-cost.ts';
import { sbatchResources } from '../../../harness/src/stage-schedule.ts';
import { stagePlan } from '../../../harness/src/stage-plan.ts';
import { preflight } from '../../../slurm/src/preflight.ts';
import { type LevelJob, packTasks, stageLevels, taskCost } from '../../../slurm/src/stages.ts';
import {
  arrayScript,
  familyPairs,
  familyScript,
  formatStatuses,
  gatherScript,
  readStatuses,
  type Resources,
  stageArrayScript,
  type StageTask,
  type SweepOptions,
} from '../../../slurm/src/submit.ts';
import {
  formatStageCounts,
  parseSqueue,
  readRounds,
  type RoundLevel,
  roundDir,
  roundJobIds,
  stageCounts,
  type SweepRound,
} from '../../../slurm/src/sweep.ts';
import { defineCommand, defineGroup, intOption, positiveIntOption, UsageError } from '../command.ts';
import { profileOption } from '../options.ts';

/**
 * One stage level's resources per task: from the estimates of its packed tasks (sbatchResources, stage-schedule.ts)
 * unless the user named --time or --mem, or some job has no estimate (then the sweep's --time, Slurm's memory).
 */
function levelResources(
  o: SweepOptions,
  tasks: readonly StageTask[],
  jobs: readonly LevelJob[],
  calibrationThreads: number,
  given: { time: boolean; mem: boolean },
): Resources {
  const costs = tasks.map((t) => taskCost(t, jobs));
  const est = costs.every((c) => c !== null) ? sbatchResources(costs as JobCost[], o.cpus, calibrationThreads) : null;
  const memMB = given.mem ? o.memMB : est?.memMB;
  return {
    cpus: o.cpus,
    timeMinutes: given.time || !est ? o.timeMinutes : est.timeMinutes,
    ...(memMB ? { memMB } : {}),
    ...(o.gpus ? { gpus: o.gpus } : {}),
  };
}

/** Submits one script (or, under --dry-run, names it); returns the job id. */
function sbatcher(dryRun: boolean): (args: string[]) => string {
  return (args) => {
    console.log(`sbatch --parsable ${args.join(' ')}`);
    if (dryRun) return `<${basename(args.at(-1) as string)}>`;
    const r = spawnSync('sbatch', ['--parsable', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sbatch ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim().split(';')[0] as string;
  };
}

/** squeue's states of these jobs' tasks, or null when squeue does not answer. */
function squeueStates(ids: readonly string[]): Map<string, string> | null {
  if (ids.length === 0) return new Map();
  const r = spawnSync('squeue', ['-h', '-r', '-o', '%i %T', '-j', ids.join(',')], { encoding: 'utf8' });
  // squeue exits 1 with "Invalid job id specified" once every job has left the queue: nothing queued.
  if (r.status !== 0) return /Invalid job id/.test(r.stderr) ? new Map() : null;
  return parseSqueue(r.stdout);
}

const submit = defineCommand({
  name: 'submit',
  summary: 'write the sbatch scripts of a sweep and submit them (a family job, one array task per spec, a gather job)',
  usage: [
    'Usage: saetrace slurm submit <pair>/<id> ...|all --profile smoke|default|paper [--partition P] [--account A]',
    '                             [--cpus N] [--time MINUTES] [--mem MB] [--gpus-per-job N] [--dir DIR]',
    '                             [--per-stage [--min-task-seconds S | --jobs-per-task N]] [--dry-run]',
    '       saetrace slurm submit --resume DIR [--dry-run]',
    '',
    'Writes sbatch scripts to DIR (default reports/scale/runs/<UTC time>) and submits them: a job that trains each',
    "pair's family for the profile (not for paper), an array with one task per spec running `saetrace run <spec>",
    '--profile P` after it (afterok), and a gather job after the array (afterany) that writes DIR/summary.md. The',
    'checkout and its .cache must be on storage every node sees. --dry-run writes the scripts and prints the sbatch',
    'lines without submitting. Before writing anything it checks that the cache folders are writable, that sbatch',
    'exists and that Slurm takes a test job with --partition/--account (sbatch --test-only); each refusal exits 2.',
    "--per-stage: the specs' plans go to DIR/plan.json (`saetrace plan`; version and digest checked by every job),",
    'and between the family job (left out when every family is trained) and the spec array come one array per stage',
    'level: extract.sbatch, then sae.sbatch, each afterok the one before; jobs already cached and jobs of equal',
    'output keys left out. Consecutive jobs of one spec share a task until their estimated CPU time (`saetrace plan`)',
    "reaches --min-task-seconds S (default 60), or N jobs with --jobs-per-task N. Each level's --time and --mem come",
    "from the estimates (3x the longest task, 1.5x its peak memory; --time/--mem override them). Each spec's task then",
    'runs its report job. Planned from the cache as it is now: with no family trained yet, the report tasks do every',
    'stage.',
    '--resume DIR: once no job of the sweep is queued or running, submits a new round (DIR/round-<N>/) of only the',
    'jobs whose outputs are missing now and the report tasks of specs that did not pass; refuses a plan.json of',
    'another version, edited by hand, or whose jobs the code now plans differently.',
    '--gpus-per-job N adds --gres=gpu:N to the stage and spec arrays; --mem MB sets --mem per task.',
  ].join('\n'),
  options: {
    profile: { type: 'string' },
    partition: { type: 'string' },
    account: { type: 'string' },
    cpus: { type: 'string' },
    time: { type: 'string' },
    mem: { type: 'string' },
    'gpus-per-job': { type: 'string' },
    dir: { type: 'string' },
    resume: { type: 'string' },
    'jobs-per-task': { type: 'string' },
    'min-task-seconds': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'per-stage': { type: 'boolean', default: false },
  },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY, what: 'specs <pair>/<id>, or all' },
  async run({ values, positionals }) {
    const root = process.cwd();
    const resumeDir = values.resume === undefined ? null : resolve(values.resume);
    let specs: string[];
    let profile: ProfileName;
    let dir: string;
    let perStage: boolean;
    let round = 0;
    let stored: PlanFile | null = null;
    if (resumeDir) {
      if (positionals.length > 0 || values.profile !== undefined || values['per-stage'])
        throw new UsageError('--resume DIR takes the specs, profile and mode of the sweep in DIR: name no others');
      ({ dir, specs, profile, perStage } = sweepAt(resumeDir));
      if (perStage) stored = readPlanFileOrUsage(join(dir, 'plan.json'));
      const rounds = readRounds(dir);
      round = (rounds.at(-1)?.round ?? -1) + 1;
      const states = values['dry-run'] ? new Map<string, string>() : squeueStates(roundJobIds(rounds));
      if (states === null)
        throw new UsageError('squeue did not answer: cannot tell whether the sweep is still running');
      if (states.size > 0)
        throw new UsageError(
          `${dir}: ${states.size} task(s) of this sweep are still queued or running (${[...states.keys()].slice(0, 5).join(', ')}): wait, or scancel them, then resume`,
        );
    } else {
      if (positionals.length === 0)
        throw new UsageError('name the specs to submit (<pair>/<id> ... or all), or --resume DIR');
      profile = profileOption(values.profile);
      const known = knownSpecs();
      specs = positionals.includes('all') ? known : positionals;
      for (const s of specs)
        if (!known.includes(s)) throw new UsageError(`unknown spec '${s}' (see saetrace pairs --specs)`);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      dir = resolve(values.dir ?? join('reports/scale/runs', stamp));
      if (existsSync(join(dir, 'specs.json')))
        throw new UsageError(`${dir} already holds a sweep: name another --dir, or --resume it`);
      perStage = values['per-stage'] === true;
    }
    const maxJobs = positiveIntOption('jobs-per-task', values['jobs-per-task']);
    const minSeconds = positiveIntOption('min-task-seconds', values['min-task-seconds'], 60);
    if (!perStage && (maxJobs !== undefined || values['min-task-seconds'] !== undefined))
      throw new UsageError('--jobs-per-task and --min-task-seconds need --per-stage');
    // An explicit job count wins; otherwise tasks are filled to about minSeconds of estimated work.
    const packing = maxJobs !== undefined ? { maxJobs } : { maxJobs: Number.POSITIVE_INFINITY, minSeconds };
    const gpus =
      values['gpus-per-job'] === undefined ? undefined : positiveIntOption('gpus-per-job', values['gpus-per-job'], 1);
    const memMB = values.mem === undefined ? undefined : positiveIntOption('mem', values.mem, 1);
    const stop = preflight(values, root);
    if (stop) throw new UsageError(stop);
    const o: SweepOptions = {
      specs,
      profile,
      dir,
      root,
      node: process.execPath,
      // The CLI of this checkout, so a sweep may run in another working directory (its own .cache and reports).
      bin: fileURLToPath(new URL('../../bin/saetrace.mjs', import.meta.url)),
      ...(values.partition ? { partition: values.partition } : {}),
      ...(values.account ? { account: values.account } : {}),
      cpus: intOption('cpus', values.cpus, 1, 1024, 2),
      timeMinutes: intOption('time', values.time, 1, 60 * 24 * 14, 120),
      ...(memMB ? { memMB } : {}),
      ...(gpus ? { gpus } : {}),
      ...(perStage ? { perStage: true } : {}),
      round,
    };
    // Plans first: a spec that cannot be planned stops the submission before anything is written.
    const plans = perStage ? await Promise.all(specs.map((s) => stagePlan(s, profile))) : [];
    if (stored) {
      const path = join(dir, 'plan.json');
      for (const now of plans) {
        const then = planOf(stored, path, now.spec);
        for (const j of now.jobs) {
          const was = then.jobs.find((t) => t.id === j.id);
          if (!was || !sameJob(was, j))
            throw new UsageError(
              `${path}: ${now.spec} ${j.id} is not the job the code plans now (the code or the cache changed since the sweep was submitted): submit a new sweep`,
            );
        }
      }
    }
    const levels = stageLevels(plans);
    const reportSpecs = resumeDir ? specs.filter((s) => readStatuses(dir, [s])[0]?.rc !== 0) : specs;
    const rdir = roundDir(dir, round);
    for (const d of ['logs', 'status', rdir]) mkdirSync(resolve(dir, d), { recursive: true });
    if (!resumeDir) {
      writeFileAtomicSync(join(dir, 'specs.json'), `${JSON.stringify({ profile, specs, perStage }, null, 2)}\n`);
      if (perStage) writePlanFile(join(dir, 'plan.json'), profile, plans);
    }
    const sbatch = sbatcher(values['dry-run'] === true);
    const withFamily =
      familyPairs(o).length > 0 &&
      (!perStage || plans.some((p) => p.jobs.some((j) => j.kind === 'family' && !j.cached)));
    let family: string | null = null;
    if (withFamily) {
      const file = join(rdir, 'family.sbatch');
      writeFileAtomicSync(file, familyScript(o));
      family = sbatch([file]);
    }
    // Each stage level after the one before (the first after the family); the spec array after the last.
    let before = family;
    const submitted: RoundLevel[] = [];
    const threads = plans.find((p) => p.calibration)?.calibration?.threads ?? o.cpus;
    for (const level of levels) {
      const tasks = packTasks(level.jobs, packing);
      const res = levelResources(o, tasks, level.jobs, threads, {
        time: values.time !== undefined,
        mem: memMB !== undefined,
      });
      const file = join(rdir, `${level.name}.sbatch`);
      writeFileAtomicSync(file, stageArrayScript(o, level.name, tasks, res));
      console.log(
        `${level.name}: ${tasks.length} tasks, --time ${res.timeMinutes} min${res.memMB ? `, --mem ${res.memMB}M` : ''} each`,
      );
      before = sbatch([...(before ? [`--dependency=afterok:${before}`] : []), file]);
      submitted.push({ name: level.name, id: before, tasks });
    }
    let array = '-';
    let gatherId = '-';
    if (reportSpecs.length > 0) {
      const file = join(rdir, 'specs.sbatch');
      writeFileAtomicSync(file, arrayScript(o, reportSpecs));
      array = sbatch([...(before ? [`--dependency=afterok:${before}`] : []), file]);
      const gfile = join(rdir, 'gather.sbatch');
      writeFileAtomicSync(gfile, gatherScript(o));
      gatherId = sbatch([`--dependency=afterany:${array}`, gfile]);
    }
    const r: SweepRound = {
      round,
      family,
      levels: submitted,
      array: { id: array, specs: reportSpecs },
      gather: gatherId,
    };
    writeFileAtomicSync(join(rdir, 'round.json'), `${JSON.stringify(r, null, 1)}\n`);
    if (round === 0)
      writeFileAtomicSync(join(dir, 'jobs.json'), `${JSON.stringify({ family, array, gather: gatherId }, null, 2)}\n`);
    const stageTasks = submitted
      .map((l) => `${l.tasks.length} ${l.name} tasks (${levels.find((x) => x.name === l.name)?.jobs.length} jobs)`)
      .join(', ');
    if (perStage) console.log(`stage arrays: ${stageTasks || 'none (every stage cached, or no family yet)'}`);
    console.log(
      `${values['dry-run'] ? 'wrote (not submitted)' : 'submitted'}${round ? ` round ${round}` : ''}: ${specs.length} specs at profile ${profile} in ${dir}` +
        (values['dry-run']
          ? ''
          : `; jobs family ${family ?? '-'}, ${submitted.map((l) => `${l.name} ${l.id}`).join(', ')}${submitted.length ? ', ' : ''}array ${array}, gather ${gatherId}`),
    );
    return 0;
  },
});

function readSweepSpecs(f: string): { specs: string[]; profile: ProfileName; perStage: boolean } {
  let v: { specs?: unknown; profile?: unknown; perStage?: unknown };
  try {
    v = JSON.parse(readFileSync(f, 'utf8')) as typeof v;
  } catch (e) {
    throw new UsageError(`${f}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v.specs) || !v.specs.every((s) => typeof s === 'string'))
    throw new UsageError(`${f}: specs: expected an array of <pair>/<id>`);
  return { specs: v.specs as string[], profile: profileOption(String(v.profile)), perStage: v.perStage === true };
}

/** The sweep in a folder named on the command line: its specs, profile and mode, or a usage error. */
function sweepAt(arg: string): { dir: string; specs: string[]; profile: ProfileName; perStage: boolean } {
  const dir = resolve(arg);
  const f = join(dir, 'specs.json');
  if (!existsSync(f)) throw new UsageError(`${dir} is not a sweep directory (no specs.json)`);
  return { dir, ...readSweepSpecs(f) };
}

function readPlanFileOrUsage(path: string): PlanFile {
  try {
    return readPlanFile(path);
  } catch (e) {
    if (e instanceof PlanFileError) throw new UsageError(e.message);
    throw e;
  }
}

const status = defineCommand({
  name: 'status',
  summary: 'per stage of a sweep: jobs done (in the cache), running, pending (squeue) or failed',
  usage: [
    'Usage: saetrace slurm status DIR',
    '',
    'Counts, per stage of the sweep in DIR (every round), the jobs whose outputs are in the cache now (done), those',
    'whose array task squeue lists as running or pending, and the rest (failed: ended without its outputs); the',
    "report stage from the specs' status files. Then one line per job not done. Exits 0 when every job is done.",
  ].join('\n'),
  options: {},
  positionals: { min: 1, max: 1, what: 'a sweep directory' },
  async run({ positionals }) {
    const { dir, specs, profile, perStage } = sweepAt(positionals[0] as string);
    if (perStage) readPlanFileOrUsage(join(dir, 'plan.json'));
    const rounds = readRounds(dir);
    const now = perStage ? await Promise.all(specs.map((s) => stagePlan(s, profile))) : [];
    const states = squeueStates(roundJobIds(rounds));
    const rows = stageCounts(rounds, now, (s) => readStatuses(dir, [s])[0]?.rc ?? null, states);
    console.log(formatStageCounts(rows, states !== null));
    return rows.every((r) => r.open.length === 0) ? 0 : 1;
  },
});

const gather = defineCommand({
  name: 'gather',
  summary: "print each task's outcome of a sweep and write its summary.md",
  usage: [
    'Usage: saetrace slurm gather DIR',
    '',
    "Prints each task's outcome from DIR/status, writes DIR/summary.md, and exits 1 when any spec failed or did",
    'not finish.',
  ].join('\n'),
  options: {},
  positionals: { min: 1, max: 1, what: 'a sweep directory' },
  async run({ positionals }) {
    const { dir, specs } = sweepAt(positionals[0] as string);
    const rows = readStatuses(dir, specs);
    const text = formatStatuses(rows);
    writeFileAtomicSync(join(dir, 'summary.md'), `${text}\n`);
    console.log(text);
    return rows.every((r) => r.rc === 0) ? 0 : 1;
  },
});

export const slurmCommand = defineGroup({
  name: 'slurm',
  summary: 'run a sweep of specs on a Slurm cluster (a family job, stage arrays, one task per spec, a gather job)',
  subcommands: [submit, status, gather],
});
