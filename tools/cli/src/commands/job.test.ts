import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
