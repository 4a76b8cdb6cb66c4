// npm run bench:slurm: what running through Slurm costs over running in-process, on the one-node cluster of
// tools/slurm/local-cluster.sh (started by tools/slurm/bench.sh). The smoke profile of every spec of a pair, each way
// in a fresh scratch working directory (empty activation and SAE caches, the trained family linked in):
//   local      `saetrace run <spec>` one spec after another (as `nx run experiments:all` does), 2 threads;
//   per spec   one sweep, one array task per spec, --cpus = all CPUs (one task at a time, as local);
//   per stage  one sweep with --per-stage, --cpus 1 (tasks run side by side), --jobs-per-task N.
// The floor of the overhead is a process start and a plan per task plus Slurm's scheduling latency per array level.
// Writes reports/bench/slurm-overhead.md with the CPU model; the target (issue "Scale out on Slurm") is at most 1.3x.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '@saetrace/engine';
import { scratchWorkdir } from '../harness/src/scratch-cwd.ts';
import { readRounds, roundJobIds } from './src/sweep.ts';

const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'tools/cli/bin/saetrace.mjs');
const PAIR = process.env.SAETRACE_BENCH_PAIR ?? 'en-ja';
const PER_TASK = process.env.SAETRACE_BENCH_JOBS_PER_TASK ?? '8';
const { BUILD_ORDER } = createRequire(import.meta.url)('../nx-plugin/experiment-targets.cjs') as {
  BUILD_ORDER: readonly string[];
};
// SAETRACE_BENCH_IDS=figure3,table1 limits the specs (a quick try); the report is the whole pair's.
const IDS = process.env.SAETRACE_BENCH_IDS?.split(',') ?? BUILD_ORDER;
const SPECS = IDS.map((id) => `${PAIR}/${id}`);
const NCPU = cpus().length;

function saetrace(cwd: string, args: string[]): number {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) console.error(`${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.status ?? 1;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

const roundIds = (run: string) => roundJobIds(readRounds(run));

async function untilDone(ids: readonly string[]): Promise<void> {
  for (;;) {
    const q = spawnSync('squeue', ['-h', '-r', '-o', '%i', '-j', ids.join(',')], { encoding: 'utf8' });
    if (q.status !== 0 || q.stdout.trim() === '') return;
    await sleep(0.5);
  }
}

interface Way {
  readonly name: string;
  readonly seconds: number;
  readonly passed: number;
  readonly tasks: string;
}

async function sweep(name: string, extra: string[]): Promise<Way> {
  const dir = scratchWorkdir(REPO, 'saetrace-bench-slurm-');
  const run = join(dir, 'run');
  const t0 = performance.now();
  const rc = saetrace(dir, ['slurm', 'submit', ...SPECS, '--profile', 'smoke', '--time', '60', '--dir', run, ...extra]);
  if (rc !== 0) throw new Error(`${name}: submission failed`);
  await untilDone(roundIds(run));
  const seconds = (performance.now() - t0) / 1000;
  const summary = existsSync(join(run, 'summary.md')) ? readFileSync(join(run, 'summary.md'), 'utf8') : '';
  const passed = Number(/^(\d+) of \d+ specs passed/m.exec(summary)?.[1] ?? 0);
  const logs = readdirSync(join(run, 'logs')).length;
  rmSync(dir, { recursive: true, force: true });
  return { name, seconds, passed, tasks: `${logs} task logs` };
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown';
  console.log(`slurm overhead: ${SPECS.length} ${PAIR} smoke specs, ${cpu}, ${NCPU} CPUs`);
  const local = scratchWorkdir(REPO, 'saetrace-bench-local-');
  const t0 = performance.now();
  let passed = 0;
  const failedLocally: string[] = [];
  for (const s of SPECS)
    if (saetrace(local, ['run', s, '--profile', 'smoke', '--quiet']) === 0) passed++;
    else failedLocally.push(s);
  const ways: Way[] = [
    {
      name: 'local (saetrace run, one spec after another)',
      seconds: (performance.now() - t0) / 1000,
      passed,
      tasks: `${SPECS.length} processes`,
    },
  ];
  rmSync(local, { recursive: true, force: true });
  console.log(`local: ${ways[0]?.seconds.toFixed(1)} s`);
  ways.push(await sweep(`Slurm, one task per spec (--cpus ${NCPU})`, ['--cpus', String(NCPU)]));
  console.log(`per spec: ${ways[1]?.seconds.toFixed(1)} s`);
  ways.push(
    await sweep(`Slurm, per stage (--cpus 1, --jobs-per-task ${PER_TASK})`, [
      '--per-stage',
      '--cpus',
      '1',
      '--jobs-per-task',
      PER_TASK,
    ]),
  );
  console.log(`per stage: ${ways[2]?.seconds.toFixed(1)} s`);
  const base = ways[0]?.seconds ?? 1;
  const text = [
    '# Slurm overhead (`npm run bench:slurm`, tools/slurm/overhead.ts)',
    '',
    `${SPECS.length} ${PAIR} specs at the smoke profile, each way from empty activation and SAE caches (the smoke family trained),`,
    `on the one-node cluster of tools/slurm/local-cluster.sh; ${cpu}, ${NCPU} CPUs, ${new Date().toISOString().slice(0, 10)}.`,
    'Wall time from the first command to the last job leaving the queue. Target: at most 1.3x the local wall time.',
    '',
    '| way | wall s | x local | specs passed | tasks |',
    '|---|---|---|---|---|',
    ...ways.map(
      (w) =>
        `| ${w.name} | ${w.seconds.toFixed(1)} | ${(w.seconds / base).toFixed(2)} | ${w.passed} of ${SPECS.length} | ${w.tasks} |`,
    ),
    '',
  ].join('\n');
  writeFileAtomicSync(join(REPO, 'reports/bench/slurm-overhead.md'), text);
  console.log(text);
}

await main();
