import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { knownExperiments, knownPairs } from './spec.ts';

interface Workflow {
  jobs: Record<
    string,
    {
      strategy?: { matrix?: { pair?: string[]; shard?: { name: string; specs: string }[] } };
      'timeout-minutes'?: number;
    }
  >;
}

test('the nightly matrix runs every pair, and every experiment in exactly one shard, each job within 90 minutes', () => {
  const wf = parse(readFileSync('.github/workflows/nightly.yml', 'utf8')) as Workflow;
  const specs = wf.jobs.specs?.strategy?.matrix;
  assert.equal([...(specs?.pair ?? [])].sort(), knownPairs());
  assert.equal([...(wf.jobs.family?.strategy?.matrix?.pair ?? [])].sort(), knownPairs());
  const ids = (specs?.shard ?? []).flatMap((s) => s.specs.split(/\s+/).filter(Boolean));
  assert.equal([...ids].sort(), knownExperiments());
  assert.is(new Set(ids).size, ids.length);
  for (const [name, job] of Object.entries(wf.jobs))
    if (job['timeout-minutes'] !== undefined) assert.ok(job['timeout-minutes'] <= 90, name);
});

test.run();
