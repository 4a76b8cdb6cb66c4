import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePlanFile } from '../../../harness/src/plan-file.ts';
import { runJob } from '../../../harness/src/stage-job.ts';
import { stagePlan } from '../../../harness/src/stage-plan.ts';
import { enterScratch } from '../../../harness/src/scratch-cwd.ts';
import { main } from '../main.ts';

// Its own activation and SAE caches (tools/harness/src/scratch-cwd.ts), entered only while this suite runs.
let leave: () => void = () => {};
test.before(async () => {
  leave = await enterScratch('saetrace-job-');
});
test.after(() => leave());

/** The exit code and what the command printed (stdout and stderr together). */
async function saetrace(...argv: string[]): Promise<{ rc: number; text: string }> {
  const lines: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = console.error = (...a: unknown[]) => lines.push(a.join(' '));
  try {
    return { rc: await main(argv), text: lines.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

const job = (id: string) => saetrace('job', 'en-ja/figure3', id, '--profile', 'smoke', '--quiet');

test('job: missing stores exit 1 naming the extract job; an unknown id exits 2 listing the ids', async () => {
  const missing = await job('sae:step-000024@L1');
  assert.is(missing.rc, 1);
  assert.match(missing.text, /inputs not cached; run first: extract:step-000024$/);
  const unknown = await job('sae:nope');
  assert.is(unknown.rc, 2);
  assert.match(unknown.text, /unknown job 'sae:nope'; the plan's jobs: family:xs, extract:step-000001, /);
});

test('job: a cached job exits 0 doing nothing; plan --json marks it cached', async () => {
  assert.is((await job('extract:step-000024')).rc, 0);
  const again = await job('extract:step-000024');
  assert.equal(again, { rc: 0, text: 'en-ja/figure3 (smoke) extract:step-000024: cached, nothing to do' });
  const plan = await saetrace('plan', 'en-ja/figure3', '--profile', 'smoke', '--json');
  assert.is(plan.rc, 0);
  const jobs = (JSON.parse(plan.text) as { jobs: { id: string; cached: boolean }[] }).jobs;
  assert.is(jobs.find((j) => j.id === 'extract:step-000024')?.cached, true);
  assert.is(jobs.find((j) => j.id === 'sae:step-000024@L1')?.cached, false);
});

test('job: several ids run in one process, one line each; the same job twice at once is computed once', async () => {
  // Library calls, not main(): two concurrent main() calls would share the captured console.
  const both = await Promise.all([0, 1].map(() => runJob('en-ja/figure3', 'smoke', 'extract:step-000015')));
  const told = both.map((o) => (o.status === 'cached' && o.waited ? 'waited' : o.status)).sort();
  assert.equal(told, ['done', 'waited']);
  const two = await saetrace(
    'job',
    'en-ja/figure3',
    'sae:step-000015@L1',
    'extract:step-000015',
    '--profile',
    'smoke',
    '--quiet',
  );
  assert.is(two.rc, 0);
  assert.match(two.text, /sae:step-000015@L1: computed in [\d.]+ s\n.*extract:step-000015: cached, nothing to do$/);
});

test('job --plan: a plan file whose job is still the one planned runs it; a stale or edited one exits 2 naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'job-plan-'));
  const f = join(dir, 'plan.json');
  const plan = await stagePlan('en-ja/figure3', 'smoke');
  writePlanFile(f, 'smoke', [plan]);
  const ok = await saetrace(
    'job',
    'en-ja/figure3',
    'extract:step-000024',
    '--profile',
    'smoke',
    '--plan',
    f,
    '--quiet',
  );
  assert.is(ok.rc, 0, ok.text);
  // The code now plans other keys than the file holds (as after a code or cache change): refused.
  const stale = {
    ...plan,
    jobs: plan.jobs.map((j) =>
      j.id === 'sae:step-000024@L1' ? { ...j, outputs: j.outputs.map((o) => ({ ...o, key: '0'.repeat(24) })) } : j,
    ),
  };
  writePlanFile(f, 'smoke', [stale]);
  const refused = await saetrace(
    'job',
    'en-ja/figure3',
    'sae:step-000024@L1',
    '--profile',
    'smoke',
    '--plan',
    f,
    '--quiet',
  );
  assert.is(refused.rc, 2);
  assert.match(refused.text, /plan\.json: en-ja\/figure3 sae:step-000024@L1 is not the job the code plans now/);
  writeFileSync(f, readFileSync(f, 'utf8').replace('"smoke"', '"default"'));
  const edited = await saetrace('job', 'en-ja/figure3', 'report', '--profile', 'smoke', '--plan', f, '--quiet');
  assert.is(edited.rc, 2);
  assert.match(edited.text, /plan\.json: its digest does not match its content/);
  rmSync(dir, { recursive: true });
});

test.run();
