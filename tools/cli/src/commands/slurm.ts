import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '@saetrace/engine';
import { join, resolve } from 'node:path';
import { knownSpecs } from '../../../harness/src/run.ts';
import {
  arrayScript,
  familyPairs,
  familyScript,
  formatStatuses,
  gatherScript,
  readStatuses,
  stageArrayScript,
  type SweepOptions,
} from '../../../slurm/src/submit.ts';
import { stageLevels } from '../../../slurm/src/stages.ts';
import { stagePlan } from '../../../harness/src/stage-plan.ts';
import { defineCommand, defineGroup, intOption, UsageError } from '../command.ts';
import { profileOption } from '../options.ts';

const submit = defineCommand({
  name: 'submit',
  summary: 'write the sbatch scripts of a sweep and submit them (a family job, one array task per spec, a gather job)',
  usage: [
    'Usage: saetrace slurm submit <pair>/<id> ...|all --profile smoke|default|paper [--partition P] [--cpus N]',
    '                             [--time MINUTES] [--dir DIR] [--per-stage] [--dry-run]',
    '',
    'Writes three sbatch scripts to DIR (default reports/scale/runs/<UTC time>) and submits them: a job that',
    "trains each pair's family for the profile (not for paper), an array with one task per spec running",
    '`saetrace run <spec> --profile P` after it (afterok), and a gather job after the array (afterany) that',
    'writes DIR/summary.md. The checkout and its .cache must be on storage every node sees. --dry-run writes the',
    'scripts and prints the sbatch lines without submitting.',
    "--per-stage: between the family job and the spec array, one array per stage level of the specs' plans",
    '(`saetrace plan`: extract.sbatch, then sae.sbatch, each afterok the one before; jobs already cached and jobs',
    "of equal output keys left out), and each spec's task runs its report job. Planned from the family as cached",
    'now: with no family trained yet, the report tasks do every stage.',
  ].join('\n'),
  options: {
    profile: { type: 'string' },
    partition: { type: 'string' },
    cpus: { type: 'string' },
    time: { type: 'string' },
    dir: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'per-stage': { type: 'boolean', default: false },
  },
  positionals: { min: 1, max: Number.POSITIVE_INFINITY, what: 'specs <pair>/<id>, or all' },
  async run({ values, positionals }) {
    const profile = profileOption(values.profile);
    const known = knownSpecs();
    const specs = positionals.includes('all') ? known : positionals;
    for (const s of specs)
      if (!known.includes(s)) throw new UsageError(`unknown spec '${s}' (see saetrace pairs --specs)`);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const dir = resolve(values.dir ?? join('reports/scale/runs', stamp));
    if (existsSync(join(dir, 'specs.json'))) throw new UsageError(`${dir} already holds a sweep: name another --dir`);
    const o: SweepOptions = {
      specs,
      profile,
      dir,
      root: process.cwd(),
      node: process.execPath,
      ...(values.partition ? { partition: values.partition } : {}),
      cpus: intOption('cpus', values.cpus, 1, 1024, 2),
      timeMinutes: intOption('time', values.time, 1, 60 * 24 * 14, 120),
      ...(values['per-stage'] ? { perStage: true } : {}),
    };
    const levels = o.perStage ? stageLevels(await Promise.all(specs.map((s) => stagePlan(s, profile)))) : [];
    for (const d of ['logs', 'status']) mkdirSync(join(dir, d), { recursive: true });
    writeFileAtomicSync(join(dir, 'specs.json'), `${JSON.stringify({ profile, specs }, null, 2)}\n`);
    const files = {
      family: join(dir, 'family.sbatch'),
      array: join(dir, 'specs.sbatch'),
      gather: join(dir, 'gather.sbatch'),
    };
    const withFamily = familyPairs(o).length > 0;
    if (withFamily) writeFileAtomicSync(files.family, familyScript(o));
    writeFileAtomicSync(files.array, arrayScript(o));
    writeFileAtomicSync(files.gather, gatherScript(o));
    const sbatch = (args: string[]) =>
      values['dry-run']
        ? `<${args.at(-1)}>`
        : (execFileSync('sbatch', ['--parsable', ...args], { encoding: 'utf8' })
            .trim()
            .split(';')[0] as string);
    const show = (args: string[]) => console.log(`sbatch --parsable ${args.join(' ')}`);
    const famArgs = [files.family];
    const family = withFamily ? sbatch(famArgs) : null;
    if (withFamily) show(famArgs);
    // Each stage level after the one before (the first after the family); the spec array after the last.
    let before = family;
    for (const level of levels) {
      const file = join(dir, `${level.name}.sbatch`);
      writeFileAtomicSync(file, stageArrayScript(o, level.name, level.tasks));
      const args = [...(before ? [`--dependency=afterok:${before}`] : []), file];
      before = sbatch(args);
      show(args);
    }
    const arrArgs = [...(before ? [`--dependency=afterok:${before}`] : []), files.array];
    const array = sbatch(arrArgs);
    show(arrArgs);
    const gArgs = [`--dependency=afterany:${array}`, files.gather];
    const gather = sbatch(gArgs);
    show(gArgs);
    const stageTasks = levels.map((l) => `${l.tasks.length} ${l.name}`).join(', ');
    writeFileAtomicSync(join(dir, 'jobs.json'), `${JSON.stringify({ family, array, gather }, null, 2)}\n`);
    if (o.perStage) console.log(`stage arrays: ${stageTasks || 'none (every stage cached, or no family yet)'}`);
    console.log(
      `${values['dry-run'] ? 'wrote (not submitted)' : 'submitted'}: ${specs.length} specs at profile ${profile} in ${dir}` +
        (values['dry-run'] ? '' : `; jobs family ${family ?? '-'}, array ${array}, gather ${gather}`),
    );
    return 0;
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
    const dir = resolve(positionals[0] as string);
    const f = join(dir, 'specs.json');
    if (!existsSync(f)) throw new UsageError(`${dir} is not a sweep directory (no specs.json)`);
    const { specs } = JSON.parse(readFileSync(f, 'utf8')) as { specs: string[] };
    const rows = readStatuses(dir, specs);
    const text = formatStatuses(rows);
    writeFileAtomicSync(join(dir, 'summary.md'), `${text}\n`);
    console.log(text);
    return rows.every((r) => r.rc === 0) ? 0 : 1;
  },
});

export const slurmCommand = defineGroup({
  name: 'slurm',
  summary: 'run a sweep of specs on a Slurm cluster (a family job, one array task per spec, a gather job)',
  subcommands: [submit, gather],
});
