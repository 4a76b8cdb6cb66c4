import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAETRACE_VERSION } from '@saetrace/activations';
import { PLAN_FORMAT, PlanFileError, planOf, readPlanFile, sameJob, writePlanFile } from './plan-file.ts';
import type { PlanJob, StagePlan } from './stage-plan.ts';

const job = (id: string, key: string | null, inputs: string[] = []): PlanJob => ({
  id,
  kind: id.startsWith('sae') ? 'sae' : 'extract',
  inputs,
  outputs: [{ what: 'x', key, path: key && `/c/${key}`, cached: false }],
  cached: false,
  estimate: 'unknown',
});
const plan: StagePlan = {
  spec: 'en-ja/figure5',
  profile: 'smoke',
  kind: 'feature-dynamics',
  perStage: true,
  notes: [],
  jobs: [job('extract:step-000001', 'k1'), job('sae:step-000001@L0', 'k2', ['extract:step-000001'])],
};

function withDir(fn: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'plan-file-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

const throwsPlan = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof PlanFileError && re.test(e.message));

test('a written plan reads back as written, with its format and version', () =>
  withDir((dir) => {
    const f = join(dir, 'plan.json');
    writePlanFile(f, 'smoke', [plan]);
    const back = readPlanFile(f);
    assert.is(back.format, PLAN_FORMAT);
    assert.is(back.saetraceVersion, SAETRACE_VERSION);
    assert.equal(back.plans, [plan]);
    assert.equal(planOf(back, f, 'en-ja/figure5'), plan);
    throwsPlan(
      () => planOf(back, f, 'en-ja/figure3'),
      /plan\.json: no plan of en-ja\/figure3; it holds en-ja\/figure5/,
    );
  }));

test('a plan edited by hand, of another version, not JSON, or of the wrong shape is refused naming the file', () =>
  withDir((dir) => {
    const f = join(dir, 'plan.json');
    writePlanFile(f, 'smoke', [plan]);
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.replace('"k2"', '"k3"'));
    throwsPlan(() => readPlanFile(f), /plan\.json: its digest does not match its content \(edited by hand/);
    writeFileSync(f, text.replace(`"saetraceVersion": "${SAETRACE_VERSION}"`, '"saetraceVersion": "0.0.1"'));
    throwsPlan(() => readPlanFile(f), new RegExp(`made by saetrace 0\\.0\\.1, this is ${SAETRACE_VERSION}`));
    writeFileSync(f, '{"format": ');
    throwsPlan(() => readPlanFile(f), /plan\.json: not a plan file/);
    writeFileSync(
      f,
      JSON.stringify({
        format: PLAN_FORMAT,
        saetraceVersion: SAETRACE_VERSION,
        plans: [{ spec: 's', jobs: [{ id: 'a', kind: 'bake' }] }],
      }),
    );
    throwsPlan(() => readPlanFile(f), /plans\[0\]\.jobs\[0\]\.kind: expected one of family, extract, sae, report/);
    throwsPlan(() => readPlanFile(join(dir, 'none.json')), /none\.json: cannot read the plan \(ENOENT\)/);
  }));

test('sameJob: equal kind, inputs and keys; a key the stored plan did not know matches any; a changed key does not', () => {
  const a = job('sae:step-000001@L0', 'k2', ['extract:step-000001']);
  assert.ok(sameJob(a, a));
  assert.ok(sameJob(job('sae:step-000001@L0', null, ['extract:step-000001']), a));
  assert.not.ok(sameJob(job('sae:step-000001@L0', 'k9', ['extract:step-000001']), a));
  assert.not.ok(sameJob(job('sae:step-000001@L0', 'k2', []), a));
});

test.run();
