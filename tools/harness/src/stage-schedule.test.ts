import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobCost } from './stage-cost.ts';
import type { PlanJob, PlanJobKind } from './stage-plan.ts';
import {
  criticalPathSeconds,
  gpuSecondsOf,
  type Level,
  makespan,
  sbatchResources,
  sweepLevels,
  wallSeconds,
} from './stage-schedule.ts';

const cost = (cpuSeconds: number, peakBytes = 2 ** 20, gpu = cpuSeconds / 100): JobCost => ({
  flops: cpuSeconds * 1e9,
  cpuSeconds,
  peakBytes,
  gpuSeconds: { A100: gpu },
});
const level = (name: PlanJobKind, seconds: number[]): Level => ({
  name,
  jobs: seconds.map((s, i) => ({ id: `${name}:${i}`, cost: cost(s) })),
});

test('makespan: tasks in order to the slot that frees first', () => {
  assert.is(makespan([5, 3, 2], 1), 10);
  assert.is(makespan([5, 3, 2], 2), 5);
  // In array order, not longest first: 1,1 fill both slots, then 4 and 4 go one to each.
  assert.is(makespan([1, 1, 4, 4], 2), 5);
  assert.is(makespan([1, 1, 4, 4], 8), 4);
  assert.is(makespan([], 3), 0);
  assert.throws(() => makespan([1], 0), /slots must be a positive integer/);
  assert.throws(() => makespan([-1], 2), /seconds must be >= 0/);
});

test('wall time on N nodes: each level after the one before; critical path: the longest job of each', () => {
  const levels = [
    level('family', [100]),
    level('extract', [10, 10, 10, 10]),
    level('sae', [3, 3, 3, 3, 3, 3]),
    level('report', [7, 2]),
  ];
  assert.is(wallSeconds(levels, 1), 100 + 40 + 18 + 9);
  assert.is(wallSeconds(levels, 2), 100 + 20 + 9 + 7);
  assert.is(wallSeconds(levels, 64), 100 + 10 + 3 + 7);
  assert.is(criticalPathSeconds(levels), 100 + 10 + 3 + 7);
  // Two tasks per node are two slots per node.
  assert.is(wallSeconds(levels, 1, 2), wallSeconds(levels, 2));
  // On GPU seconds: the same schedule on another clock.
  assert.ok(Math.abs(criticalPathSeconds(levels, gpuSecondsOf('A100')) - 1.2) < 1e-12);
  assert.throws(() => criticalPathSeconds(levels, gpuSecondsOf('H100')), /no H100 seconds/);
});

const job = (id: string, kind: PlanJobKind, keys: (string | null)[], seconds: number | null): PlanJob => ({
  id,
  kind,
  inputs: [],
  outputs: keys.map((key) => ({ what: id, key, path: kind === 'family' ? 'fam.json' : null, cached: true })),
  cached: true,
  estimate: '',
  cost: seconds === null ? null : cost(seconds),
});

test('a sweep counts a store or SAE two specs share once, cached or not, and the family once', () => {
  const a = {
    jobs: [
      job('family:xl', 'family', [null], 50),
      job('extract:1', 'extract', ['s1L3', 'e1L3'], 5),
      job('sae:1@L3', 'sae', ['sae1L3'], 2),
      job('report', 'report', [null], 1),
    ],
  };
  const b = {
    jobs: [
      job('family:xl', 'family', [null], 50),
      job('extract:1', 'extract', ['s1L2', 'e1L2', 's1L3', 'e1L3'], 9),
      job('extract:0', 'extract', [null, null], 4),
      job('sae:1@L2', 'sae', ['sae1L2'], 2),
      job('sae:1@L3', 'sae', ['sae1L3'], 2),
      job('report', 'report', [null], 1),
    ],
  };
  const { levels, uncosted } = sweepLevels([a, b]);
  assert.equal(
    levels.map((l) => [l.name, l.jobs.map((j) => j.id)]),
    [
      ['family', ['family:xl']],
      // a's one-layer store is among b's all-layer ones; a job with unknown keys is kept.
      ['extract', ['extract:1', 'extract:0']],
      ['sae', ['sae:1@L3', 'sae:1@L2']],
      ['report', ['report', 'report']],
    ],
  );
  assert.is(levels[1]?.jobs[0]?.cost.cpuSeconds, 9);
  assert.is(uncosted, 0);
  const unsplit = sweepLevels([{ jobs: [job('report', 'report', [null], null)] }]);
  assert.equal(unsplit, { levels: [], uncosted: 1 });
});

test('sbatch resources: memory 1.5 x the largest peak + 1 GiB, time 3 x the longest job, at least 5 minutes', () => {
  const costs = [cost(100, 2 ** 30), cost(400, 2 ** 29)];
  assert.equal(sbatchResources(costs, 2, 2), { cpusPerTask: 2, memMB: 1536 + 1024, timeMinutes: 20 });
  // Fewer CPUs than calibrated: proportionally longer; more: not shorter.
  assert.is(sbatchResources(costs, 1, 2).timeMinutes, 40);
  assert.is(sbatchResources(costs, 8, 2).timeMinutes, 20);
  assert.is(sbatchResources([cost(1)], 2, 2).timeMinutes, 5);
  assert.throws(() => sbatchResources([], 2, 2), /no jobs/);
  assert.throws(() => sbatchResources(costs, 0, 2), /cpusPerTask must be a positive integer/);
});

test.run();
