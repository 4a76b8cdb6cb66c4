import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareFindings, compareGolden } from './golden.ts';
import {
  metricPattern,
  parseVariant,
  runFileName,
  sampleSd,
  spreadMarkdown,
  summariseSpread,
  toleranceK,
  variantName,
  variantProfile,
  type SpreadRun,
} from './spread.ts';
import { profileOf, readSpec } from './spec.ts';

test('variants parse from their names and back; anything else is refused', () => {
  for (const t of ['base', 'seed=2', 'family-seed=1235', 'threads=1']) {
    const v = parseVariant(t);
    assert.ok(v, t);
    assert.is(variantName(v), t);
  }
  for (const t of ['seed', 'seed=-1', 'seed=1.5', 'threads=0', 'cpu=xeon', 'family_seed=3', ''])
    assert.is(parseVariant(t), null, t);
});

test('a variant changes exactly one setting of the profile; a family seed needs a trained family', () => {
  const r = readSpec('en-ja/figure3');
  if (!r.ok) throw new Error('figure3 spec');
  const p = profileOf(r.spec, 'default');
  assert.equal(variantProfile(p, { source: 'base' }), p);
  assert.equal(variantProfile(p, { source: 'run-seed', value: 7 }), { ...p, seed: 7 });
  assert.equal(variantProfile(p, { source: 'threads', value: 1 }), { ...p, threads: 1 });
  // (en-ja's default profile uses the family its pair file names: default-2.)
  assert.equal(variantProfile(p, { source: 'family-seed', value: 9 }).family, { zoo: 'default-2', seed: 9 });
  const given = { ...p, family: { paths: { x: [{ dir: '/m', tokens: 1 }] } } };
  assert.throws(() => variantProfile(given, { source: 'family-seed', value: 9 }), /trains its family/);
});

test('run file names keep CPU and variant in portable characters', () => {
  assert.is(runFileName('Intel(R) Xeon(R) Processor', 'seed=2'), 'intel-xeon-processor.seed=2.json');
  assert.is(
    runFileName('AMD EPYC 7B13 64-Core Processor', 'family-seed=1235'),
    'amd-epyc-7b13-64-core-processor.family-seed=1235.json',
  );
});

test('toleranceK: sqrt(2) times a Student-t quantile at a Bonferroni share of alpha', () => {
  // t_6 at 0.975 is 2.4469 (tables); one metric at alpha 0.05.
  assert.ok(Math.abs(toleranceK(6, 0.05, 1) - Math.SQRT2 * 2.446912) < 1e-5);
  // More metrics or fewer runs ask for a larger k; no degrees of freedom, no finite k.
  assert.ok(toleranceK(6, 0.05, 200) > toleranceK(6, 0.05, 10));
  assert.ok(toleranceK(3, 0.05, 200) > toleranceK(9, 0.05, 200));
  assert.is(toleranceK(0, 0.05, 10), Number.POSITIVE_INFINITY);
});

const run = (
  variant: string,
  source: SpreadRun['source'],
  cpu: string,
  x: number,
  held: boolean,
): SpreadRun & { file: string } => ({
  file: `${cpu}.${variant}.json`,
  variant,
  version: 1,
  source,
  cpu,
  threads: 2,
  seed: 1,
  familySeed: null,
  metrics: { 'step-000001@L3/shares/mixed': x, 'step-000001@L3/l0': 16 },
  findings: { 'finding-1': held, 'finding-2': false },
});

test('spread summary: k at the fewest degrees of freedom when some runs lack a compared metric', () => {
  const runs = [run('base', 'base', 'amd', 0.5, true), run('seed=2', 'run-seed', 'amd', 0.52, true)];
  const extra = { ...run('seed=3', 'run-seed', 'amd', 0.51, true) };
  const withNew = (r: typeof extra, v: number) => ({ ...r, metrics: { ...r.metrics, 'x/refPpl/mean': v } });
  const all = [...runs.map((r, i) => withNew(r, 10 + i)), extra];
  const s = summariseSpread('en-ja', 'table1', 'default', all, () => true);
  assert.is(s.df, 2);
  assert.is(s.k.df, 1, 'x/refPpl/mean has 2 values: 1 degree of freedom');
  assert.ok(s.k.value > summariseSpread('en-ja', 'table1', 'default', all, (m) => !m.includes('refPpl')).k.value);
  const carried = { ...extra, file: 'xeon.base.json', carried: { from: 4, why: 'only metrics were added' } };
  const md = spreadMarkdown(
    {
      ...summariseSpread('en-ja', 'table1', 'default', [...all, carried]),
      version: 5,
      stale: [{ file: 'old.json', version: 4 }],
    },
    'Table 1',
  );
  assert.match(md, /made under spec version 4, counted: only metrics were added/);
  assert.match(md, /Left out, made under another spec version than 5: old\.json \(version 4\)/);
});

test('spread summary: sd per source with the same CPU base, across CPUs, over all runs; finding stability', () => {
  const runs = [
    run('base', 'base', 'amd', 0.5, true),
    run('base', 'base', 'xeon', 0.6, true),
    run('seed=2', 'run-seed', 'amd', 0.52, false),
    run('family-seed=7', 'family-seed', 'amd', 0.4, true),
  ];
  const s = summariseSpread('en-ja', 'figure3', 'default', runs, (m) => m.endsWith('/shares/mixed'));
  const m = s.metrics['step-000001@L3/shares/mixed']!;
  assert.ok(Math.abs(m.bySource['run-seed']! - sampleSd([0.52, 0.5])) < 1e-12);
  assert.ok(Math.abs(m.bySource['family-seed']! - sampleSd([0.4, 0.5])) < 1e-12);
  assert.ok(Math.abs(m.bySource.cpu! - sampleSd([0.5, 0.6])) < 1e-12);
  assert.ok(Math.abs(m.sd - sampleSd([0.5, 0.6, 0.52, 0.4])) < 1e-12);
  assert.is(m.bySource.threads, undefined);
  assert.is(s.metrics['step-000001@L3/l0']!.sd, 0);
  assert.is(s.df, 3);
  assert.is(s.k.compared, 1);
  assert.equal(s.findings, { 'finding-1': { held: 3, of: 4 }, 'finding-2': { held: 0, of: 4 } });
  const md = spreadMarkdown(s, 'Figure 3');
  assert.match(md, /\| finding-1 \| 3 of 4 runs \(unstable: not judged by the golden\) \|/);
  assert.match(md, /\| \*\/shares\/mixed \| 1 \|/);
  assert.is(metricPattern('step-000148@L3/shares/mixed'), '*/shares/mixed');
  assert.is(metricPattern('all/pplChange/en'), 'all/pplChange/en');
});

test('a spread tolerance is k sd at least floor where a summary measures the metric, the fixed one elsewhere', () => {
  const golden = { '*/shares/mixed': { atol: 0.08, spread: { k: 10, floor: 0.002 } } };
  const spread = {
    file: 'reports/spread/x.json',
    sd: (m: string) => (m === 'a/shares/mixed' ? 0.02 : m === 'b/shares/mixed' ? 0 : undefined),
  };
  const rows = compareGolden(
    { 'a/shares/mixed': 0.5, 'b/shares/mixed': 0.5, 'c/shares/mixed': 0.5 },
    { 'a/shares/mixed': 0.69, 'b/shares/mixed': 0.503, 'c/shares/mixed': 0.57 },
    golden,
    spread,
  );
  // a: 0.19 within 10 x 0.02; b: never moved, so the floor 0.002 judges 0.003 a failure; c: no sd, atol 0.08.
  assert.equal(
    rows.map((r) => r.ok),
    [true, false, true],
  );
  assert.match(rows[0]!.tolerance, /10 sd of reports\/spread\/x\.json \(sd 0\.0200; floor 0\.002: 0\.200\)/);
  assert.is(compareGolden({ 'a/shares/mixed': 0.5 }, { 'a/shares/mixed': 0.71 }, golden, spread)[0]!.ok, false);
  // Without a summary the spec's fixed tolerance applies as before.
  assert.is(compareGolden({ 'a/shares/mixed': 0.5 }, { 'a/shares/mixed': 0.69 }, golden)[0]!.ok, false);
});

test('a finding whose verdict differed between spread runs is not judged; a stable one still is', () => {
  const measured = { 'finding-1': { held: 3, of: 4 }, 'finding-2': { held: 0, of: 4 } };
  const rows = compareFindings(
    { 'finding-1': true, 'finding-2': false },
    [
      { id: 'finding-1', holds: false },
      { id: 'finding-2', holds: true },
    ],
    measured,
  );
  assert.equal(
    rows.map((r) => [r.metric, r.ok]),
    [
      ['finding/finding-1', true],
      ['finding/finding-2', false],
    ],
  );
  assert.match(rows[0]!.tolerance, /not judged: held in 3 of 4 spread runs/);
});

test("a spread summary counts only runs of the spec's version and of the family the pair now uses", async () => {
  const { writeSpreadSummary } = await import('./spread-run.ts');
  const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const r = readSpec('en-ja/figure3');
  if (!r.ok) throw new Error('figure3 spec');
  const repo = process.cwd();
  const root = mkdtempSync(join(tmpdir(), 'spread-family-'));
  const dir = join(root, 'reports/spread/en-ja/figure3.default');
  mkdirSync(dir, { recursive: true });
  const run = (family: string | undefined, value: number): SpreadRun => ({
    variant: `seed=${value}`,
    version: r.spec.version,
    source: 'run-seed',
    ...(family !== undefined && { family }),
    cpu: 'cpu',
    threads: 2,
    seed: value,
    familySeed: null,
    metrics: { m: value },
    findings: {},
  });
  writeFileSync(join(dir, 'a.json'), JSON.stringify(run(undefined, 1))); // stored before families: 'default'
  writeFileSync(join(dir, 'b.json'), JSON.stringify(run('default', 2)));
  writeFileSync(join(dir, 'c.json'), JSON.stringify(run('default-2', 3)));
  const family = (f: string) => ({
    ...r.spec,
    profiles: { ...r.spec.profiles, default: { ...r.spec.profiles.default, family: { zoo: f } } },
  });
  process.chdir(root);
  try {
    const old = await writeSpreadSummary(family('default') as typeof r.spec, 'default');
    assert.equal(
      old?.runs.map((x) => x.file),
      ['a.json', 'b.json'],
    );
    assert.is(old?.family, 'default');
    const moved = await writeSpreadSummary(family('default-2') as typeof r.spec, 'default');
    assert.equal(
      moved?.runs.map((x) => x.file),
      ['c.json'],
    );
    assert.equal(
      moved?.stale?.map((x) => x.file),
      ['a.json', 'b.json'],
    );
  } finally {
    process.chdir(repo);
    rmSync(root, { recursive: true });
  }
});

test.run();
