import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PlanJob, StagePlan } from '../../harness/src/stage-plan.ts';
import { stageLevels } from './stages.ts';
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
    levels.map((l) => [l.name, l.tasks.map((t) => `${t.spec} ${t.job}`)]),
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

test('a stage array runs saetrace job per task; per stage, the spec array runs each report job', () => {
  const s = stageArrayScript(o, 'sae', [
    { spec: 'en-ja/figure3', job: 'sae:step-000001@L1' },
    { spec: 'en-ja/figure5', job: 'sae:step-000001@L0' },
  ]);
  assert.match(s, /#SBATCH --array=0-1\n/);
  assert.match(s, /#SBATCH --output=\/runs\/a\/logs\/sae-%a\.out/);
  assert.match(s, /specs=\('en-ja\/figure3' 'en-ja\/figure5'\)\njobs=\('sae:step-000001@L1' 'sae:step-000001@L0'\)/);
  assert.match(
    s,
    /saetrace job "\$\{specs\[\$SLURM_ARRAY_TASK_ID\]\}" "\$\{jobs\[\$SLURM_ARRAY_TASK_ID\]\}" --profile smoke --quiet\n$/,
  );
  assert.match(arrayScript(o), /saetrace job "\$spec" report --profile smoke --quiet/);
  assert.match(arrayScript({ ...o, perStage: false }), /saetrace run "\$spec" --profile smoke --quiet/);
});

test.run();
