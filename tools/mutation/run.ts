// Mutation score of the smoke goldens: `npx tsx tools/mutation/run.ts [--only NAME ...] [--keep]`.
// Copies the checkout's tracked files (as they are in the work tree) to a scratch directory per mutant, applies
// the mutant's edits (tools/mutation/mutants.ts), and runs its smoke specs there from an empty cache with
// `saetrace run`; the mutant is caught when a run exits non-zero (a golden comparison failed, or the run
// broke). A control copy without edits must pass first, else nothing is scored. Writes reports/mutation.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@saetrace/engine';
import { applyEdit, MUTANTS, type Mutant } from './mutants.ts';

const { values } = parseArgs({ options: { only: { type: 'string', multiple: true }, keep: { type: 'boolean' } } });
const root = resolve('.');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);

function scratchCopy(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `saetrace-mutant-${label}-`));
  for (const f of tracked) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      cpSync(join(root, f), join(dir, f));
    } catch {
      /* a tracked file deleted in the work tree */
    }
  }
  // Installed packages and the native kernel are shared, read-only in use; the cache starts empty.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'libs/sae/native'), { recursive: true });
  symlinkSync(join(root, 'libs/sae/native/build'), join(dir, 'libs/sae/native/build'));
  return dir;
}

interface Outcome {
  readonly name: string;
  readonly what: string;
  readonly caught: boolean;
  readonly how: string;
  readonly seconds: number;
}

function runIn(dir: string, specs: readonly string[]): { ok: boolean; how: string } {
  for (const spec of specs) {
    const r = spawnSync(process.execPath, ['tools/cli/bin/saetrace.mjs', 'run', spec, '--profile', 'smoke'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    if (r.status !== 0) {
      const out = `${r.stdout}\n${r.stderr}`;
      const failures = out
        .split('\n')
        .filter((l) => /\| FAIL \|/.test(l))
        .map((l) => l.split('|')[1]?.trim())
        .filter(Boolean);
      const err = out.split('\n').find((l) => /Error|error:/.test(l));
      return {
        ok: false,
        how: failures.length
          ? `${spec}: golden failed on ${failures.length} metrics (${failures.slice(0, 3).join(', ')}${failures.length > 3 ? ', ...' : ''})`
          : `${spec}: the run failed (${(err ?? out.trim().split('\n').at(-1) ?? '').slice(0, 160)})`,
      };
    }
  }
  return { ok: true, how: `${specs.join(', ')} passed` };
}

function trial(m: Mutant | null): Outcome {
  const t0 = Date.now();
  const dir = scratchCopy(m?.name ?? 'control');
  try {
    for (const e of m?.edits ?? [])
      writeFileSync(join(dir, e.file), applyEdit(m as Mutant, e, readFileSync(join(dir, e.file), 'utf8')));
    const r = runIn(dir, m?.specs ?? ['en-ja/figure3']);
    return {
      name: m?.name ?? 'control',
      what: m?.what ?? 'no edit',
      caught: !r.ok,
      how: r.how,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

const chosen = MUTANTS.filter((m) => !values.only || values.only.includes(m.name));
const control = trial(null);
console.log(`control: ${control.caught ? 'FAILED' : 'passed'} (${control.how}, ${control.seconds.toFixed(0)} s)`);
if (control.caught) {
  console.error('the unmutated copy fails its goldens, so no mutant can be scored');
  process.exit(1);
}
const outcomes: Outcome[] = [];
for (const m of chosen) {
  const o = trial(m);
  outcomes.push(o);
  console.log(`${o.name}: ${o.caught ? 'caught' : 'SURVIVED'} (${o.how}, ${o.seconds.toFixed(0)} s)`);
}
const caught = outcomes.filter((o) => o.caught).length;
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const md = [
  '# Mutation score of the smoke goldens',
  '',
  `Written by \`npx tsx tools/mutation/run.ts\` (mutants in tools/mutation/mutants.ts): each mutant is one plausible developer's slip, applied to a scratch copy of the checkout, whose smoke specs then run from an empty cache against the committed goldens. Caught = a run exited non-zero. ${cpu}, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `**${caught} / ${outcomes.length} mutants caught.** Control (no edit): ${control.how}.`,
  '',
  '| mutant | what it breaks | verdict | how | seconds |',
  '|---|---|---|---|---|',
  ...outcomes.map(
    (o) =>
      `| ${o.name} | ${o.what} | ${o.caught ? 'caught' : '**survived**'} | ${o.how.replace(/\|/g, '/')} | ${o.seconds.toFixed(0)} |`,
  ),
  '',
].join('\n');
if (!values.only) await writeFileAtomic('reports/mutation.md', md);
console.log(`${caught} / ${outcomes.length} mutants caught${values.only ? '' : '; reports/mutation.md'}`);
process.exitCode = caught === outcomes.length ? 0 : 1;
