import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { enterScratch } from './scratch-cwd.ts';
import { runExperiment } from './run.ts';
import { runJob, runJobs, UnknownJobError } from './stage-job.ts';
import { readLlamaConfig } from '@saetrace/lm';
import { extractWork, metricsWork } from './dry-run.ts';
import { planSpec, renderPlan, stagePlan } from './stage-plan.ts';

// Its own activation and SAE caches (tools/harness/src/scratch-cwd.ts), entered only while this suite runs.
let leave: () => void = () => {};
test.before(async () => {
  leave = await enterScratch('saetrace-stages-');
});
test.after(() => leave());

test('the plan of en-ja/figure3 smoke: the member, each checkpoint (random init too), each checkpoint x layer, the report', async () => {
  const plan = await stagePlan('en-ja/figure3', 'smoke');
  const kinds = (k: string) => plan.jobs.filter((j) => j.kind === k);
  // The smoke family's largest member has 8 checkpoints, plus step 0; one (mid) layer.
  assert.is(kinds('family').length, 1);
  assert.is(kinds('extract').length, 9);
  assert.is(kinds('sae').length, 9);
  assert.is(plan.jobs.length, 1 + 9 + 9 * 1 + 1);
  assert.is(plan.jobs.at(-1)?.id, 'report');
  assert.ok(plan.jobs.some((j) => j.id === 'sae:step-000024@L1'));
  // Every job comes after its inputs.
  const seen = new Set<string>();
  for (const j of plan.jobs) {
    for (const i of j.inputs) assert.ok(seen.has(i), `${j.id} before its input ${i}`);
    seen.add(j.id);
  }
  // Only the family is in the cache here; every store and SAE of a trained checkpoint has its key before it exists.
  // The random-init checkpoint is written by the run (a clean clone has none yet): its keys are known once it is.
  assert.equal(
    plan.jobs.filter((j) => j.cached).map((j) => j.id),
    ['family:xs'],
  );
  const initWritten = existsSync(join('.cache/zoo/en-ja/smoke/xs/step-000000', 'config.json'));
  for (const j of [...kinds('extract'), ...kinds('sae')])
    for (const o of j.outputs)
      if (initWritten || !j.id.includes('step-000000')) assert.type(o.key, 'string', `${j.id} ${o.what}`);
      else assert.is(o.key, null, `${j.id} ${o.what}: a key before its checkpoint exists`);
  assert.equal(
    kinds('extract')[0]?.outputs.map((o) => o.what),
    ['train store L1', 'eval store L1'],
  );
});

test('a job whose stores are not extracted names the extract job; an unknown id lists the ids', async () => {
  const out = await runJob('en-ja/figure3', 'smoke', 'sae:step-000024@L1');
  assert.is(out.status, 'missing');
  assert.equal(out.status === 'missing' && out.missing, ['extract:step-000024']);
  try {
    await runJob('en-ja/figure3', 'smoke', 'sae:step-999');
    assert.unreachable('an unknown job id must throw');
  } catch (err) {
    assert.instance(err, UnknownJobError);
    assert.ok((err as UnknownJobError).known.includes('extract:step-000024'));
  }
});

test('extract then sae: each job is then cached in the plan, and running it again does nothing', async () => {
  assert.is((await runJob('en-ja/figure3', 'smoke', 'extract:step-000024')).status, 'done');
  assert.is((await runJob('en-ja/figure3', 'smoke', 'sae:step-000024@L1')).status, 'done');
  const plan = await stagePlan('en-ja/figure3', 'smoke');
  const cached = (id: string) => plan.jobs.find((j) => j.id === id)?.cached;
  assert.is(cached('extract:step-000024'), true);
  assert.is(cached('sae:step-000024@L1'), true);
  assert.is(cached('sae:step-000015@L1'), false);
  assert.is((await runJob('en-ja/figure3', 'smoke', 'sae:step-000024@L1')).status, 'cached');
  assert.is((await runJob('en-ja/figure3', 'smoke', 'extract:step-000024')).status, 'cached');
});

test('after a smoke run every job but the report is cached', async () => {
  assert.is((await runExperiment('en-ja/figure3', 'smoke')).golden, 'passed');
  const plan = await stagePlan('en-ja/figure3', 'smoke');
  assert.equal(
    plan.jobs.filter((j) => !j.cached).map((j) => j.id),
    ['report'],
  );
  assert.ok(plan.jobs.filter((j) => j.kind === 'sae').every((j) => /^\d+ steps$/.test(j.estimate)));
});

test('sae-sizes: the whole family, then per size its stores and one SAE per rate; run job by job, the report finds every row cached', async () => {
  const plan = await stagePlan('en-ja/table2', 'smoke');
  assert.ok(plan.perStage);
  const ids = plan.jobs.map((j) => j.id);
  assert.equal(ids.slice(0, 3), ['family:smoke', 'extract:xxs', 'sae:xxs@lr0.0001']);
  assert.is(plan.jobs.filter((j) => j.kind === 'sae').length, 2 * 6);
  assert.is(ids.at(-1), 'report');
  const outs = await runJobs(
    'en-ja/table2',
    'smoke',
    ids.filter((i) => i.startsWith('extract:')),
  );
  // xs's last checkpoint at its mid layer is what en-ja/figure3 extracted above: cached already.
  assert.equal(
    outs.map((o) => `${o.job.id} ${o.status}`),
    ['extract:xxs done', 'extract:xs cached'],
  );
  const rates = await runJobs(
    'en-ja/table2',
    'smoke',
    ids.filter((i) => i.startsWith('sae:')),
  );
  assert.ok(rates.every((o) => o.status === 'done'));
  const after = await stagePlan('en-ja/table2', 'smoke');
  assert.equal(
    after.jobs.filter((j) => !j.cached).map((j) => j.id),
    ['report'],
  );
  // Every key known once its store exists, and each rate's cache file is the one the run reads.
  assert.ok(after.jobs.filter((j) => j.kind === 'sae').every((j) => typeof j.outputs[0]?.key === 'string'));
  const report = await runJob('en-ja/table2', 'smoke', 'report');
  assert.is(report.status === 'done' && report.run?.golden, 'passed');
});

test('intervention: the member, the final checkpoint at the injection layer, the report; a paths profile is one job', async () => {
  const plan = await stagePlan('en-ja/table1', 'smoke');
  assert.ok(plan.perStage);
  assert.equal(
    plan.jobs.map((j) => j.id),
    ['family:xs', 'extract:step-000024', 'sae:step-000024@L1', 'report'],
  );
  // The same store keys as en-ja/figure3's jobs at that checkpoint and layer (one cache entry for both specs).
  const fig3 = await stagePlan('en-ja/figure3', 'smoke');
  const keys = (pl: typeof plan, id: string) => pl.jobs.find((j) => j.id === id)?.outputs.map((o) => o.key);
  assert.equal(keys(plan, 'sae:step-000024@L1'), keys(fig3, 'sae:step-000024@L1'));
  const paper = await stagePlan('en-ja/table1', 'paper');
  assert.is(paper.perStage, false);
  assert.equal(
    paper.jobs.map((j) => j.id),
    ['report'],
  );
  assert.match(paper.notes[0] ?? '', /not planned per stage yet/);
  assert.is(paper.jobs[0]?.cost, null);
});

test('every job of a split plan has a cost; the scratch directory has no provenance, so the fallback rate times it', async () => {
  const plan = await stagePlan('en-ja/figure3', 'smoke');
  const { p } = planSpec('en-ja/figure3', 'smoke');
  assert.is(plan.calibration?.cpu, 'this machine');
  for (const j of plan.jobs) assert.ok(j.cost && j.cost.cpuSeconds > 0 && j.cost.peakBytes > 0, j.id);
  const ex = plan.jobs.find((j) => j.kind === 'extract');
  const config = await readLlamaConfig(ex?.checkpoint?.dir as string);
  assert.is(ex?.cost?.flops, extractWork(p, config, 1).flops);
  const rate = plan.calibration?.stages.extract.flopsPerSecond as number;
  assert.is(ex?.cost?.cpuSeconds, (ex?.cost?.flops as number) / rate);
  // The report measures the 9 SAEs.
  const report = plan.jobs.at(-1);
  assert.is(report?.cost?.flops, 9 * metricsWork(p, config.hiddenSize).flops);
  assert.match(renderPlan(plan), /From an empty cache: .* critical path .* wall on 1, 8, 64 nodes/);
});

test.run();
