// npm run test:slurm (tools/slurm/test.sh starts the one-node cluster, tools/slurm/local-cluster.sh, then runs
// this): per-stage sweeps of an all-layer spec at the smoke profile on a real Slurm, each in a scratch working
// directory of its own (empty activation and SAE caches, the repository's trained families linked in), checked
// against a local `saetrace run` of the same spec in another scratch directory:
//   1. a per-stage sweep (and a per-spec one) gives the local run's results.json bytes, its golden passes, `slurm status` says done;
//   2. the sweep's SAE array cancelled with scancel while an SAE trains, then `slurm submit --resume`: same bytes,
//      and the resumed round submits only the jobs whose outputs were missing;
//   3. two submissions of the spec at once on one cache: same bytes, and no stage job is computed twice.
// Prints one line per check and a closing `N passed, N failed` line; exit 1 when any failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { scratchWorkdir } from '../harness/src/scratch-cwd.ts';
import { readRounds, roundJobIds } from './src/sweep.ts';

const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'tools/cli/bin/saetrace.mjs');
const SPEC = process.env.SAETRACE_SLURM_SPEC ?? 'en-ja/figure5';
const PROFILE = 'smoke';
const results = (dir: string) => join(dir, 'reports', `${SPEC}.${PROFILE}.results.json`);

let passed = 0;
let failed = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (ok) passed++;
  else failed++;
}

const made: string[] = [];
/** A scratch working directory of its own (tools/harness/src/scratch-cwd.ts), removed at the end when all passed. */
function scratch(name: string): string {
  const dir = scratchWorkdir(REPO, `saetrace-slurm-${name}-`);
  made.push(dir);
  return dir;
}

function saetrace(cwd: string, args: string[]): { rc: number; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { rc: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

function submit(cwd: string, run: string, extra: string[] = []): { rc: number; out: string } {
  const args = ['slurm', 'submit', SPEC, '--profile', PROFILE, '--per-stage', '--cpus', '1', '--time', '30'];
  return saetrace(cwd, [...args, '--jobs-per-task', '4', '--dir', join(cwd, run), ...extra]);
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** squeue lines (`id state`) of these job ids, array tasks expanded. */
function queued(ids: readonly string[]): string[] {
  if (ids.length === 0) return [];
  const r = spawnSync('squeue', ['-h', '-r', '-o', '%i %T', '-j', ids.join(',')], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l.trim()) : [];
}

/** Every Slurm job id the sweep's rounds submitted. */
const sweepIds = (run: string) => roundJobIds(readRounds(run));

async function waitEmpty(ids: readonly string[], limitS = 1800): Promise<boolean> {
  const t0 = Date.now();
  while (queued(ids).length > 0) {
    if (Date.now() - t0 > limitS * 1000) return false;
    await sleep(1);
  }
  return true;
}

/** `computed in` lines of the stage logs of these sweeps, as `<spec> <job>` -> count. */
function computed(runs: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const run of runs)
    for (const f of readdirSync(join(run, 'logs')))
      if (/^(r\d+-)?(extract|sae)-\d+\.out$/.test(f))
        for (const line of readFileSync(join(run, 'logs', f), 'utf8').split('\n')) {
          const hit = /^(\S+) \(\w+\) (\S+): computed in /.exec(line);
          if (hit) m.set(`${hit[1]} ${hit[2]}`, (m.get(`${hit[1]} ${hit[2]}`) ?? 0) + 1);
        }
  return m;
}

const same = (a: string, b: string) => existsSync(a) && existsSync(b) && readFileSync(a).equals(readFileSync(b));

async function main(): Promise<void> {
  console.log(`slurm integration: ${SPEC} at ${PROFILE}, ${cpus()[0]?.model ?? '?'} (${cpus().length} CPUs)`);
  // A partition the cluster does not have: refused before anything is written.
  const bad = scratch('partition');
  const br = saetrace(bad, [
    'slurm',
    'submit',
    SPEC,
    '--profile',
    PROFILE,
    '--partition',
    'nope',
    '--dir',
    join(bad, 'run'),
  ]);
  check(
    br.rc === 2 && /--partition nope: Slurm refuses a test job/.test(br.out) && !existsSync(join(bad, 'run')),
    `an unknown partition exits 2 naming it, nothing written: ${br.out.trim().split('\n').at(-1)}`,
  );

  // The local run the sweeps must equal, in its own fresh cache.
  const local = scratch('local');
  let t0 = Date.now();
  const lr = saetrace(local, ['run', SPEC, '--profile', PROFILE, '--quiet']);
  const localS = (Date.now() - t0) / 1000;
  check(lr.rc === 0, `local run of ${SPEC}: exit ${lr.rc}, ${localS.toFixed(1)} s`);

  // 1. One per-stage sweep.
  const a = scratch('sweep');
  t0 = Date.now();
  const s1 = submit(a, 'run');
  check(s1.rc === 0, `per-stage submission: ${s1.out.trim().split('\n').at(-2) ?? s1.out}`);
  const done1 = await waitEmpty(sweepIds(join(a, 'run')));
  const sweepS = (Date.now() - t0) / 1000;
  const summary = existsSync(join(a, 'run/summary.md')) ? readFileSync(join(a, 'run/summary.md'), 'utf8') : '';
  check(
    done1 && /^1 of 1 specs passed/m.test(summary),
    `the sweep ends with its golden passed (${sweepS.toFixed(1)} s, local ${localS.toFixed(1)} s)`,
  );
  check(same(results(a), results(local)), "the sweep's results.json equals the local run's bytes");
  const st = saetrace(a, ['slurm', 'status', join(a, 'run')]);
  check(st.rc === 0, `slurm status after the sweep: every stage done (exit ${st.rc})`);
  console.log(st.out.trim().replace(/^/gm, '    '));

  // The same spec as one task (no --per-stage): `saetrace run` inside the array task.
  const w = scratch('whole');
  const sw = saetrace(w, [
    'slurm',
    'submit',
    SPEC,
    '--profile',
    PROFILE,
    '--cpus',
    '2',
    '--time',
    '30',
    '--dir',
    join(w, 'run'),
  ]);
  await waitEmpty(sweepIds(join(w, 'run')));
  check(
    sw.rc === 0 && same(results(w), results(local)),
    "a per-spec sweep (one task runs the spec) equals the local run's bytes",
  );

  // 2. scancel while an SAE trains, then --resume.
  const b = scratch('cancel');
  const s2 = submit(b, 'run');
  check(s2.rc === 0, 'submission to cancel');
  const run2 = join(b, 'run');
  const sae = (
    JSON.parse(readFileSync(join(run2, 'round.json'), 'utf8')) as { levels: { name: string; id: string }[] }
  ).levels.find((l) => l.name === 'sae')?.id;
  let midSae = false;
  t0 = Date.now();
  while (sae && Date.now() - t0 < 600_000) {
    const running = queued([sae]).some((l) => l.endsWith(' RUNNING'));
    const saeDir = join(b, '.cache/sae');
    // An SAE mid-training: its state checkpoint written, its cfg.json (written last) not yet.
    midSae =
      running &&
      existsSync(saeDir) &&
      readdirSync(saeDir).some((k) => existsSync(join(saeDir, k, 'state')) && !existsSync(join(saeDir, k, 'cfg.json')));
    if (midSae || (running && Date.now() - t0 > 300_000)) break;
    await sleep(0.2);
  }
  spawnSync('scancel', sweepIds(run2));
  check(
    await waitEmpty(sweepIds(run2), 120),
    `scancel of every job of the sweep (an SAE had a state checkpoint and no cfg.json: ${midSae})`,
  );
  const before = saetrace(b, ['slurm', 'status', run2]);
  check(before.rc === 1 && /failed|pending/.test(before.out), 'slurm status after scancel: jobs not done');
  console.log(before.out.trim().split('\n').slice(0, 6).join('\n').replace(/^/gm, '    '));
  const s3 = saetrace(b, ['slurm', 'submit', '--resume', run2]);
  check(s3.rc === 0, `resume: ${s3.out.trim().split('\n').at(-1) ?? ''}`);
  const r1 = JSON.parse(readFileSync(join(run2, 'round-1/round.json'), 'utf8')) as {
    levels: { name: string; tasks: { jobs: string[] }[] }[];
  };
  const r0 = JSON.parse(readFileSync(join(run2, 'round.json'), 'utf8')) as typeof r1;
  const count = (r: typeof r1) => r.levels.flatMap((l) => l.tasks.flatMap((t) => t.jobs)).length;
  check(count(r1) < count(r0), `the resumed round runs only missing jobs: ${count(r1)} of ${count(r0)}`);
  await waitEmpty(sweepIds(run2));
  check(same(results(b), results(local)), "after scancel and --resume, results.json equals the local run's bytes");
  check(saetrace(b, ['slurm', 'status', run2]).rc === 0, 'slurm status after the resumed round: every stage done');

  // 3. Two submissions at once on one cache.
  const c = scratch('twice');
  const [x, y] = [submit(c, 'run1'), submit(c, 'run2')];
  check(x.rc === 0 && y.rc === 0, 'two submissions of one spec on one cache');
  await waitEmpty([...sweepIds(join(c, 'run1')), ...sweepIds(join(c, 'run2'))]);
  check(same(results(c), results(local)), "both done: results.json equals the local run's bytes");
  const counts = computed([join(c, 'run1'), join(c, 'run2')]);
  const twice = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
  const waited = [join(c, 'run1'), join(c, 'run2')]
    .flatMap((r) => readdirSync(join(r, 'logs')).map((f) => readFileSync(join(r, 'logs', f), 'utf8')))
    .join('\n')
    .split('\n')
    .filter((l) => /cached by another process|cached, nothing to do/.test(l)).length;
  check(
    twice.length === 0 && counts.size > 0,
    `no stage job computed twice: ${counts.size} computed once, ${twice.length} twice${twice.length ? ` (${twice.slice(0, 3).join(', ')})` : ''}; ${waited} found cached`,
  );
  if (failed === 0) for (const d of made) rmSync(d, { recursive: true, force: true });
  else console.log(`scratch folders kept for a look: ${made.join(' ')}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
