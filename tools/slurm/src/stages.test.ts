import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PlanJob, StagePlan } from '../../harness/src/stage-plan.ts';
import { packTasks, stageLevels, taskCost } from './stages.ts';
import { arrayScript, stageArrayScript } from './submit.ts';

const job = (id: string, kind: PlanJob['kind'], keys: (string | null)[], cached = false): PlanJob => ({
  id,
  kind,
  inputs: [],
  outputs: keys.map((key) => ({ what: id, key, path: key, cached })),
  cached,
  estimate: 'unknown',
});

const plan = (spec: string, jobs: PlanJob[]): StagePlan => ({
  spec,
  profile: 'smoke',
  kind: 'feature-dynamics',
  perStage: true,
  notes: [],
  jobs,
});

const o = {
  specs: ['en-ja/figure3', 'en-ja/figure5'],
  profile: 'smoke' as const,
  dir: '/runs/a',
  root: '/repo',
  node: '/usr/bin/node',
  cpus: 2,
  timeMinutes: 30,
  perStage: true,
};

test('stage levels: extract then sae, cached jobs and jobs whose keys another task writes left out', () => {
  const levels = stageLevels([
    plan('en-ja/figure3', [
      job('family:xs', 'family', [null], true),
      job('extract:step-1', 'extract', ['a1', 'b1']),
      job('sae:step-1@L1', 'sae', ['s11']),
      job('extract:step-2', 'extract', ['a2', 'b2'], true),
      job('sae:step-2@L1', 'sae', ['s21']),
      job('report', 'report', [null]),
    ]),
    plan('en-ja/figure5', [
      job('extract:step-1', 'extract', ['a0', 'a1', 'b0', 'b1']),
      job('sae:step-1@L0', 'sae', ['s10']),
      job('sae:step-1@L1', 'sae', ['s11']),
      job('sae:step-9@L1', 'sae', [null]),
      job('sae:step-9@L1', 'sae', [null]),
    ]),
  ]);
  assert.equal(
    levels.map((l) => [l.name, l.jobs.map((t) => `${t.spec} ${t.job.id}`)]),
    [
      // figure3's one-layer store of step 1 is among figure5's all-layer ones.
      ['extract', ['en-ja/figure5 extract:step-1']],
      [
        'sae',
        [
          'en-ja/figure3 sae:step-1@L1',
          'en-ja/figure3 sae:step-2@L1',
          'en-ja/figure5 sae:step-1@L0',
          // Unknown keys are never taken for equal.
          'en-ja/figure5 sae:step-9@L1',
          'en-ja/figure5 sae:step-9@L1',
        ],
      ],
    ],
  );
  assert.equal(stageLevels([plan('en-ja/figure3', [job('extract:step-1', 'extract', ['a'], true)])]), []);
});

test('packTasks: consecutive jobs of one spec share a task, up to perTask; another spec starts a task', () => {
  const j = (spec: string, id: string) => ({ spec, job: job(id, 'sae', ['k']) });
  const jobs = [j('a', 's1'), j('a', 's2'), j('a', 's3'), j('b', 's1'), j('a', 's4')];
  assert.equal(packTasks(jobs, { maxJobs: 2 }), [
    { spec: 'a', jobs: ['s1', 's2'] },
    { spec: 'a', jobs: ['s3'] },
    { spec: 'b', jobs: ['s1'] },
    { spec: 'a', jobs: ['s4'] },
  ]);
  assert.equal(packTasks(jobs, { maxJobs: 1 }).length, 5);
  assert.throws(() => packTasks(jobs, { maxJobs: 0 }), /maxJobs 0 is not >= 1/);
});

test('packTasks by estimate: a task closes once its seconds reach minSeconds; taskCost sums seconds, keeps the peak', () => {
  const costed = (id: string, cpuSeconds: number) => ({
    spec: 'a',
    job: { ...job(id, 'sae', ['k']), cost: { flops: 1, cpuSeconds, peakBytes: cpuSeconds * 10 } },
  });
  const jobs = [costed('s1', 20), costed('s2', 30), costed('s3', 15), costed('s4', 200), costed('s5', 5)];
  const tasks = packTasks(jobs, { maxJobs: Number.POSITIVE_INFINITY, minSeconds: 60 });
  assert.equal(
    tasks.map((t) => t.jobs),
    [['s1', 's2', 's3'], ['s4'], ['s5']],
  );
  assert.equal(taskCost(tasks[0]!, jobs), { flops: 3, cpuSeconds: 65, peakBytes: 300 });
  // A job without an estimate is a task of its own.
  const mixed = [costed('s1', 1), { spec: 'a', job: job('s2', 'sae', ['k']) }, costed('s3', 1)];
  assert.equal(
    packTasks(mixed, { maxJobs: 99, minSeconds: 60 }).map((t) => t.jobs),
    [['s1', 's2'], ['s3']],
  );
  assert.is(taskCost({ spec: 'a', jobs: ['s2'] }, mixed), null);
});

test('a stage array runs saetrace job per task against the plan; per stage, the spec array runs each report job', () => {
  const s = stageArrayScript(
    o,
    'sae',
    [
      { spec: 'en-ja/figure3', jobs: ['sae:step-000001@L1'] },
      { spec: 'en-ja/figure5', jobs: ['sae:step-000001@L0', 'sae:step-000001@L1'] },
    ],
    { cpus: 1, timeMinutes: 12, memMB: 900, gpus: 1 },
  );
  assert.match(s, /#SBATCH --array=0-1\n/);
  assert.match(s, /#SBATCH --cpus-per-task=1\n#SBATCH --time=12\n#SBATCH --mem=900M\n#SBATCH --gres=gpu:1\n/);
  assert.match(s, /#SBATCH --output=\/runs\/a\/logs\/sae-%a\.out/);
  assert.match(
    s,
    /specs=\('en-ja\/figure3' 'en-ja\/figure5'\)\njobs=\('sae:step-000001@L1' 'sae:step-000001@L0 sae:step-000001@L1'\)/,
  );
  assert.match(
    s,
    /saetrace job "\$\{specs\[\$SLURM_ARRAY_TASK_ID\]\}" \$\{jobs\[\$SLURM_ARRAY_TASK_ID\]\} --profile smoke --plan '\/runs\/a\/plan\.json'\n$/,
  );
  assert.match(arrayScript(o), /saetrace job "\$spec" report --profile smoke --plan '\/runs\/a\/plan\.json'/);
  assert.match(arrayScript({ ...o, perStage: false }), /saetrace run "\$spec" --profile smoke --quiet/);
  assert.match(stageArrayScript({ ...o, round: 2 }, 'sae', [{ spec: 'x', jobs: ['y'] }]), /logs\/r2-sae-%a\.out/);
});

test.run();
