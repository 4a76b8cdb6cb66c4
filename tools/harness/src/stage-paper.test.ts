import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractWork, saeWork } from './dry-run.ts';
import { paperConfig } from './paper-models.ts';
import { BEGIN, END, replaceSection } from './scale-estimates.ts';
import { profileOf, readSpec, type ExperimentSpec } from './spec.ts';
import type { Rates } from './stage-cost.ts';
import { configPlan } from './stage-paper.ts';
import { sweepLevels } from './stage-schedule.ts';

const rate = { flopsPerSecond: 1e11, source: 'test' };
const rates: Rates = { cpu: 'test', threads: 2, stages: { extract: rate, sae: rate, metrics: rate } };
const spec = (id: string): ExperimentSpec => {
  const r = readSpec(`en-ja/${id}`);
  if (!r.ok) throw new Error(id);
  return r.spec;
};

test('the paper plan of figure5: six checkpoints of 3.7b, an SAE per checkpoint and site 0..28, the report', () => {
  const s = spec('figure5');
  const p = profileOf(s, 'paper');
  const plan = configPlan(s, p, 'paper', rates);
  const n = (k: string) => plan.jobs.filter((j) => j.kind === k).length;
  assert.equal([n('family'), n('extract'), n('sae'), n('report')], [0, 6, 6 * 29, 1]);
  const c = paperConfig('3.7b');
  assert.is(plan.jobs[0]?.cost?.flops, extractWork(p, c, 29).flops);
  assert.is(plan.jobs[1]?.cost?.flops, saeWork(p, c.hiddenSize).flops);
  // figure4 picks checkpoints 2, 4 and 6 of the six paths.
  const f4 = configPlan(spec('figure4'), profileOf(spec('figure4'), 'paper'), 'paper', rates);
  assert.equal(
    f4.jobs.filter((j) => j.kind === 'extract').map((j) => j.id),
    ['extract:iter_0000100', 'extract:iter_0010000', 'extract:iter_0988240'],
  );
  // figure3 and figure5 share the mid layer's stores and SAEs: a sweep of both counts them once.
  const f3 = configPlan(spec('figure3'), profileOf(spec('figure3'), 'paper'), 'paper', rates);
  const { levels } = sweepLevels([f3, plan]);
  assert.equal(
    levels.map((l) => l.jobs.length),
    [6, 6 * 29, 2],
  );
});

test('a zoo profile or another kind is refused', () => {
  const s = spec('figure5');
  assert.throws(() => configPlan(s, profileOf(s, 'default'), 'paper', rates), /not checkpoint paths/);
  const t = spec('table1');
  assert.throws(() => configPlan(t, profileOf(t, 'paper'), 'paper', rates), /kind intervention is not planned/);
});

test('the estimates section replaces what is between its markers, and a file without them is refused', () => {
  const text = `# x\n\n${BEGIN}\nold\n${END}\n\n## after\n`;
  assert.is(replaceSection(text, `${BEGIN}\nnew\n${END}`, 'f.md'), `# x\n\n${BEGIN}\nnew\n${END}\n\n## after\n`);
  assert.throws(() => replaceSection('# x\n', 'new', 'f.md'), /f\.md: no .* markers/);
});

test.run();
