import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PlanJob, StagePlan } from '../../harness/src/stage-plan.ts';
import { formatStageCounts, parseSqueue, roundJobIds, stageCounts, type SweepRound } from './sweep.ts';

const round = (r: number, ids: { sae: string; array: string; gather: string }, saeTasks: string[][]): SweepRound => ({
  round: r,
  family: null,
  levels: [{ name: 'sae', id: ids.sae, tasks: saeTasks.map((jobs) => ({ spec: 'en-ja/figure5', jobs })) }],
  array: { id: ids.array, specs: ['en-ja/figure5'] },
  gather: ids.gather,
});

const plan = (cached: Record<string, boolean>): StagePlan => ({
  spec: 'en-ja/figure5',
  profile: 'smoke',
  kind: 'feature-dynamics',
  perStage: true,
  notes: [],
  jobs: Object.entries(cached).map(
    ([id, c]): PlanJob => ({ id, kind: 'sae', inputs: [], outputs: [], cached: c, estimate: 'unknown' }),
  ),
});

test('roundJobIds: every submitted id; a --dry-run round names scripts, which are left out', () => {
  const r0 = round(0, { sae: '11', array: '12', gather: '13' }, [['a']]);
  const dry = round(1, { sae: '<sae.sbatch>', array: '<specs.sbatch>', gather: '-' }, [['a']]);
  assert.equal(roundJobIds([r0, dry]), ['11', '12', '13']);
});

test('parseSqueue: id and state per line, blank lines ignored', () => {
  assert.equal(
    [...parseSqueue('11_0 RUNNING\n11_1 PENDING\n\n12 PENDING\n')],
    [
      ['11_0', 'RUNNING'],
      ['11_1', 'PENDING'],
      ['12', 'PENDING'],
    ],
  );
});

test('stageCounts: done from the cache, running/pending from squeue, the rest failed; the latest round counts', () => {
  const r0 = round(0, { sae: '11', array: '12', gather: '13' }, [['s1', 's2'], ['s3'], ['s4']]);
  // Round 1 resubmitted s4 alone as task 0 of array 21.
  const r1 = round(1, { sae: '21', array: '22', gather: '23' }, [['s4']]);
  const now = [plan({ s1: true, s2: false, s3: false, s4: false })];
  const states = parseSqueue('11_0 RUNNING\n21_0 PENDING\n22 PENDING');
  const rows = stageCounts([r0, r1], now, () => null, states);
  assert.equal(rows[0]?.counts, { done: 1, running: 1, pending: 1, failed: 1 });
  assert.equal(
    rows[0]?.open.map((o) => `${o.state} ${o.what}`),
    ['running en-ja/figure5 s2', 'failed en-ja/figure5 s3', 'pending en-ja/figure5 s4'],
  );
  assert.equal(rows[1], {
    stage: 'report',
    counts: { done: 0, running: 0, pending: 1, failed: 0 },
    open: [{ what: 'en-ja/figure5 report', state: 'pending' }],
  });
  // Nothing queued, the spec's status says it passed: the report is done; without squeue the table says so.
  const after = stageCounts([r0, r1], [plan({ s1: true, s2: true, s3: true, s4: true })], () => 0, null);
  assert.ok(after.every((r) => r.open.length === 0));
  assert.match(formatStageCounts(after, false), /\| sae \| 4 \| 0 \| 0 \| 0 \| 4 \|[\s\S]*squeue did not answer/);
});

test.run();
