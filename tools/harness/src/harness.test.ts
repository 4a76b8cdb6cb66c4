import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { logSpacedSteps } from '@saetrace/lm';
import { selectCheckpoints } from './kinds/feature-dynamics.ts';
import { writeReportsIndex } from './index-report.ts';
import {
  compareGolden,
  flattenMetrics,
  goldenFamilyNote,
  goldenTable,
  goldenVersionNote,
  proportionAllowance,
  readGolden,
  toleranceFor,
} from './golden.ts';
import { knownSpecs, specPath } from './run.ts';
import { corpusDirOf } from './family.ts';
import { formatIssue, parseSpec, profileFamily, profileOf, readSpec } from './spec.ts';

const require = createRequire(import.meta.url);
const plugin = require('../../nx-plugin/experiment-targets.cjs') as {
  createNodesV2: [
    string,
    (
      files: string[],
    ) => [
      string,
      { projects: Record<string, { targets: Record<string, { options: { command?: string; commands?: string[] } }> }> },
    ][],
  ];
  targetName: (p: string, id: string) => string;
};

const good = readFileSync('experiments/figure3.yaml', 'utf8');
const pairText = readFileSync('experiments/pairs/en-ja.yaml', 'utf8');

test('every pair x experiment validates; unknown specs list the known ones', () => {
  const specs = knownSpecs();
  assert.ok(specs.includes('en-ja/figure3') && specs.includes('en-ko/figure3') && specs.includes('en-zh/table4'));
  assert.is(specs.length, 3 * 15);
  for (const s of specs) assert.ok(readSpec(s).ok, s);
  assert.throws(
    () => specPath('en-ja/figure99'),
    new RegExp(`unknown spec 'en-ja/figure99'; known specs: ${specs.join(', ')}$`),
  );
});

test('a typo in a key is reported with its line, column and key path', () => {
  const r = parseSpec(
    good.replace(
      '    layers: [mid]\n    checkpoints: all\n    activations: { trainTokensPerLang: 16384',
      '    layer: [mid]\n    checkpoints: all\n    activations: { trainTokensPerLang: 16384',
    ),
    'x.yaml',
  );
  assert.not.ok(r.ok);
  if (!r.ok) {
    const msgs = r.issues.map(formatIssue).join('\n');
    assert.match(msgs, /x\.yaml:\d+:5: profiles\.smoke\.layer: unknown key 'layer'/);
    assert.match(msgs, /profiles\.smoke: must have required property 'layers'/);
    const line = good.split('\n').findIndex((l) => l.startsWith('    layers: [mid]')) + 1;
    assert.ok(
      r.issues.some((i) => i.line === line && i.path === 'profiles.smoke.layer'),
      JSON.stringify(r.issues),
    );
  }
});

test('the cosine cut is a number or a quantile of random token pairs, nothing else', () => {
  const at = (cut: string) =>
    parseSpec(
      good.replace(
        'cosineCut: 0.1, clusterRule: greedy }\n    seed: 1\n    threads: 2\n  default',
        `cosineCut: ${cut}, clusterRule: greedy }\n    seed: 1\n    threads: 2\n  default`,
      ),
      'c.yaml',
    );
  assert.ok(at('{ randomPairQuantile: 0.99 }').ok);
  assert.not.ok(at('{ randomPairQuantile: 0.2 }').ok);
  assert.not.ok(at('{ percentile: 99 }').ok);
  assert.not.ok(at('1.5').ok);
});

test('wrong types, bad enums, duplicate keys and unreadable files are errors', () => {
  const t = parseSpec(
    good.replace('seed: 1\n    threads: 2\n  default', "seed: 'one'\n    threads: 2\n  default"),
    'y.yaml',
  );
  assert.ok(!t.ok && t.issues.some((i) => i.path === 'profiles.smoke.seed' && /must be integer/.test(i.message)));
  const e = parseSpec(
    good.replace(
      'clusterRule: greedy }\n    seed: 1\n    threads: 2\n  default',
      'clusterRule: kmeans }\n    seed: 1\n    threads: 2\n  default',
    ),
    'z.yaml',
  );
  assert.ok(
    !e.ok &&
      e.issues.some((i) => /must be equal to one of the allowed values \("greedy", "components"\)/.test(i.message)),
  );
  const d = parseSpec(good.replace(/^version: (\d+)\n/m, 'version: $1\nversion: 99\n'), 'd.yaml');
  assert.ok(!d.ok && /Map keys must be unique/.test(d.issues[0]!.message) && d.issues[0]!.line === 5);
  const missing = readSpec('en-ja/none');
  assert.ok(
    !missing.ok &&
      missing.issues[0]!.file === join('experiments', 'none.yaml') &&
      /cannot read \(ENOENT\)/.test(missing.issues[0]!.message),
  );
  const unnamed = readSpec('figure3');
  assert.ok(
    !unnamed.ok &&
      /a spec is named <pair>\/<id>, e\.g\. en-ja\/figure3, got 'figure3'/.test(unnamed.issues[0]!.message),
  );
});

test('lineage in a report is a spec option with a threshold in (0, 1]', () => {
  assert.ok(parseSpec(good, 'x.yaml').ok);
  assert.match(good, /^lineage: \{ threshold: 0\.7 \}$/m);
  const bad = parseSpec(good.replace('lineage: { threshold: 0.7 }', 'lineage: { threshold: 0 }'), 'x.yaml');
  assert.ok(!bad.ok && bad.issues.some((i) => i.path === 'lineage.threshold'));
  const extra = parseSpec(
    good.replace('lineage: { threshold: 0.7 }', 'lineage: { threshold: 0.7, layers: 2 }'),
    'x.yaml',
  );
  assert.ok(!extra.ok && extra.issues.some((i) => /unknown key 'layers'/.test(i.message)));
});

test('golden comparison: tolerances by pattern, one-sided, missing metrics fail, table lists failures', () => {
  const golden = {
    '*/mixed': { atol: 0.05 },
    '*/fvu': { atol: 0.01, side: 'lower-is-better' as const },
    '*/acc': { rtol: 0.1, side: 'higher-is-better' as const },
  };
  const expected = flattenMetrics({ a: { mixed: 0.5, fvu: 0.2, acc: 10, other: 1 }, b: { mixed: 0.3 } });
  assert.is(expected['a/mixed'], 0.5);
  assert.equal(toleranceFor('a/mixed', golden), { atol: 0.05 });
  assert.is(toleranceFor('a/other', golden), null);
  const ok = compareGolden(
    expected,
    flattenMetrics({ a: { mixed: 0.54, fvu: 0.1, acc: 50, other: 99 }, b: { mixed: 0.26 } }),
    golden,
  );
  assert.ok(
    ok.every((r) => r.ok),
    goldenTable(ok, false),
  );
  const bad = compareGolden(expected, flattenMetrics({ a: { mixed: 0.56, fvu: 0.25, acc: 8 } }), golden);
  assert.equal(
    bad.filter((r) => !r.ok).map((r) => r.metric),
    ['a/acc', 'a/fvu', 'a/mixed', 'b/mixed'],
  );
  const table = goldenTable(bad);
  assert.match(table, /\| b\/mixed \| 0\.300000 \| missing \| atol 0\.05 \| FAIL \|/);
  assert.match(table, /\| a\/fvu \| 0\.200000 \| 0\.250000 \| atol 0\.01 \(lower-is-better\) \| FAIL \|/);
});

test('golden comparison: a share over few features gets z standard errors of a two-proportion difference', () => {
  const golden = { '*/shares/*': { atol: 0.08, proportionOf: { count: 'alive', z: 3 } } };
  // 288 alive features, 0.545 -> 0.455: 0.09 apart, beyond atol; the pooled s.e. of the difference is
  // sqrt(0.5 * 0.5 * 2 / 288) = 0.0417, so 3 s.e. = 0.125 allow it.
  const few = { 's58/alive': 288, 's58/shares/second': 0.545 };
  const rows = compareGolden(few, { 's58/alive': 288, 's58/shares/second': 0.455 }, golden);
  assert.ok(rows[0]!.ok, goldenTable(rows, false));
  assert.match(rows[0]!.tolerance, /^atol 0\.08 or 3 s\.e\. over alive \(0\.125\)$/);
  // Over 1536 features 3 s.e. is 0.054, below atol: atol rules and the same shift fails.
  assert.is(
    compareGolden(
      { 'a/alive': 1536, 'a/shares/second': 0.545 },
      { 'a/alive': 1536, 'a/shares/second': 0.455 },
      golden,
    )[0]!.ok,
    false,
  );
  // A class swap over 288 features (0.545 -> 0.3) fails even with the wider allowance.
  assert.is(compareGolden(few, { 's58/alive': 288, 's58/shares/second': 0.3 }, golden)[0]!.ok, false);
  // Without the count on either side the allowance stays atol.
  assert.is(compareGolden({ 's58/shares/second': 0.545 }, { 's58/shares/second': 0.455 }, golden)[0]!.ok, false);
  assert.ok(Number.isNaN(proportionAllowance(0.5, 0, 0.5, 10, 3)));
  assert.ok(Math.abs(proportionAllowance(0.5, 100, 0.5, 100, 2) - 2 * Math.sqrt(0.25 * 0.02)) < 1e-12);
});

test('selectCheckpoints: all, or the listed steps in training order; a step the model lacks is named', () => {
  const all = [1, 5, 26, 131, 666, 1500].map((step) => ({ step, dir: `d${step}` }));
  assert.equal(
    selectCheckpoints(all, 'all', 'spec figure5', 'xl').map((c) => c.step),
    [1, 5, 26, 131, 666, 1500],
  );
  assert.equal(
    selectCheckpoints(all, [1500, 5], 'spec figure5', 'xl').map((c) => c.dir),
    ['d5', 'd1500'],
  );
  assert.throws(
    () => selectCheckpoints(all, [5, 665, 7], 'spec figure5', 'xl'),
    /spec figure5: checkpoints lists steps 665, 7, which 'xl' does not have \(it has 1, 5, 26, 131, 666, 1500\)/,
  );
});

test("selectCheckpoints: saved positions pick the same checkpoints of any family with ten: the 1800-step family's old step list", () => {
  const saved = (last: number) => logSpacedSteps(last, 10).map((step) => ({ step }));
  const six = { saved: [1, 3, 5, 7, 9, 10] };
  assert.equal(
    selectCheckpoints(saved(1800), six, 'spec figure5', 'xl').map((c) => c.step),
    [1, 5, 28, 148, 783, 1800],
  );
  assert.equal(
    selectCheckpoints(saved(1800), { saved: [4, 7, 10] }, 'spec figure4', 'xl').map((c) => c.step),
    [12, 148, 1800],
  );
  assert.equal(
    selectCheckpoints(saved(2400), six, 'spec figure5', 'xl').map((c) => c.step),
    [1, 6, 32, 179, 1011, 2400],
  );
  assert.throws(
    () => selectCheckpoints(saved(1800).slice(0, 8), six, 'spec figure5', 'xl'),
    /spec figure5: checkpoints names saved positions 9, 10, but 'xl' saved 8 checkpoints/,
  );
});

test('reports index: per pair, each claim with the specs whose default golden records it holding or not; a damaged golden is skipped with a warning', async () => {
  const root = mkdtempSync(join(tmpdir(), 'reports-index-'));
  const golden = mkdtempSync(join(tmpdir(), 'golden-index-'));
  mkdirSync(join(root, 'en-ja'));
  mkdirSync(join(golden, 'en-ja'));
  writeFileSync(join(root, 'en-ja', 'figure5.md'), '# Figure 5\n');
  writeFileSync(
    join(root, 'en-ja', 'figure5.default.provenance.json'),
    JSON.stringify({ wallSeconds: 60, specVersion: 1, machine: { cpus: 'AMD EPYC' } }),
  );
  const g = (findings: Record<string, boolean>) => JSON.stringify({ version: 1, metrics: {}, findings });
  writeFileSync(join(golden, 'en-ja', 'figure5.default.json'), g({ 'finding-1': true, 'finding-2': false }));
  writeFileSync(join(golden, 'en-ja', 'figure3.default.json'), g({ 'finding-1': true }));
  writeFileSync(join(golden, 'en-ja', 'figure8.default.json'), '{ not json');
  const warnings: string[] = [];
  const md = readFileSync(await writeReportsIndex(root, (s) => warnings.push(s), golden), 'utf8');
  assert.match(md, /as its goldens recorded them \(2 of 3 checks hold/);
  assert.match(
    md,
    /\| The Mixed share of the mid layer falls[^|]*\| \[figure3\]\(en-ja\/figure3\.md\), \[figure5\]\(en-ja\/figure5\.md\) \| - \|/,
  );
  assert.match(md, /\| At the last checkpoint the middle third[^|]*\| - \| \[figure5\]\(en-ja\/figure5\.md\) \|/);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /figure8\.default\.json/);
  rmSync(root, { recursive: true });
  rmSync(golden, { recursive: true });
});

test('reports index: wall time, CPU and spec version per report, an older spec version marked stale; a pair without default runs says so', async () => {
  const root = mkdtempSync(join(tmpdir(), 'reports-index-'));
  mkdirSync(join(root, 'en-ja'));
  mkdirSync(join(root, 'en-ko'));
  // The index reads each spec's current version from experiments/; the test follows whatever it is.
  const versionOf = (id: string) =>
    Number(/^version:\s*(\d+)/m.exec(readFileSync(join('experiments', `${id}.yaml`), 'utf8'))?.[1]);
  const v5 = versionOf('figure5');
  const v3 = versionOf('figure3');
  const prov = (v: number) => JSON.stringify({ wallSeconds: 90, specVersion: v, machine: { cpus: 'AMD EPYC' } });
  writeFileSync(join(root, 'en-ja', 'figure5.md'), '# Figure 5: old\n');
  writeFileSync(join(root, 'en-ja', 'figure5.default.provenance.json'), prov(v5 - 1));
  writeFileSync(join(root, 'en-ja', 'figure3.md'), '# Figure 3: current\n');
  writeFileSync(join(root, 'en-ja', 'figure3.default.provenance.json'), prov(v3));
  writeFileSync(join(root, 'en-ko', 'figure3.smoke.md'), '# Figure 3: smoke only\n');
  writeFileSync(join(root, 'en-ko', 'figure3.smoke.provenance.json'), prov(v3));
  const md = readFileSync(await writeReportsIndex(root), 'utf8');
  assert.match(
    md,
    new RegExp(
      `\\| \\[Figure 5: old\\]\\(en-ja/figure5\\.md\\) \\| default \\| 1\\.5 min \\| AMD EPYC \\| ${v5 - 1} \\(stale: the spec is at ${v5}\\) \\|`,
    ),
  );
  assert.match(
    md,
    new RegExp(
      `\\| \\[Figure 3: current\\]\\(en-ja/figure3\\.md\\) \\| default \\| 1\\.5 min \\| AMD EPYC \\| ${v3} \\|`,
    ),
  );
  assert.match(
    md,
    /Default profile: 1\.5 min of spec runs of the current spec versions \(1 stale report not counted\)/,
  );
  assert.match(md, /## en-ko[^#]*Default profile: no run of this pair's default profile is reported yet\./);
  rmSync(root, { recursive: true });
});

test('the Nx plugin makes one target per pair x experiment (en-ja unprefixed), a <pair>-all per pair and an all target', () => {
  const [glob, fn] = plugin.createNodesV2;
  assert.is(glob, 'experiments/**/*.yaml');
  const res = fn(['experiments/pairs/en-ko.yaml', 'experiments/figure3.yaml', 'experiments/pairs/en-ja.yaml']);
  const targets = res[0]![1].projects.experiments!.targets;
  assert.equal(Object.keys(targets).sort(), ['all', 'en-ja-all', 'en-ko-all', 'en-ko-figure3', 'figure3']);
  assert.is(targets.figure3!.options.command, 'npx saetrace run en-ja/figure3');
  assert.is(targets['en-ko-figure3']!.options.command, 'npx saetrace run en-ko/figure3');
  assert.equal(fn([]), []);
  assert.equal(fn(['experiments/figure3.yaml']), []);
  // en-ja first; the all-layer figures before the one-layer specs that reuse their activations.
  const files = [
    'experiments/pairs/en-ko.yaml',
    'experiments/figure3.yaml',
    'experiments/table2.yaml',
    'experiments/pairs/en-ja.yaml',
    'experiments/figure5.yaml',
    'experiments/zz.yaml',
  ];
  const t = fn(files)[0]![1].projects.experiments!.targets;
  assert.equal(
    t.all!.options.commands,
    ['figure5', 'figure3', 'table2', 'zz', 'en-ko-figure5', 'en-ko-figure3', 'en-ko-table2', 'en-ko-zz'].map(
      (n) => `npx nx run experiments:${n}`,
    ),
  );
  assert.equal(
    t['en-ko-all']!.options.commands,
    ['en-ko-figure5', 'en-ko-figure3', 'en-ko-table2', 'en-ko-zz'].map((n) => `npx nx run experiments:${n}`),
  );
  assert.is(plugin.targetName('en-ko', 'table1'), 'en-ko-table1');
});

test('an experiment whose id, or a pair whose pair, is not its file name is refused at load, naming both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spec-path-'));
  mkdirSync(join(dir, 'pairs'));
  writeFileSync(join(dir, 'pairs', 'en-ja.yaml'), pairText);
  // figure3's text saved as figure4: it would overwrite figure3's results, report and figures.
  writeFileSync(join(dir, 'figure4.yaml'), good);
  const r = readSpec('en-ja/figure4', dir);
  assert.not.ok(r.ok);
  const msg = r.ok ? '' : r.issues.map(formatIssue).join('\n');
  assert.match(
    msg,
    /figure4\.yaml:3:1: id: 'figure3' does not match the file's name, which says id 'figure4'; an experiment file must be experiments\/<id>\.yaml: rename the file or correct the id/,
  );
  writeFileSync(join(dir, 'figure3.yaml'), good);
  writeFileSync(join(dir, 'pairs', 'en-ko.yaml'), pairText);
  const p = readSpec('en-ko/figure3', dir);
  assert.match(
    p.ok ? '' : p.issues.map(formatIssue).join('\n'),
    /pairs\/en-ko\.yaml:\d+:1: pair: 'en-ja' does not match the file's name, which says pair 'en-ko'/,
  );
  rmSync(dir, { recursive: true });
});

test("a pair's families replace a profile's family and its corpus; an unknown family is refused naming the key", () => {
  const dir = mkdtempSync(join(tmpdir(), 'spec-families-'));
  mkdirSync(join(dir, 'pairs'));
  writeFileSync(join(dir, 'figure3.yaml'), good);
  const base = 'pair: xx-yy\nlanguages: [xx, yy]\n';
  writeFileSync(join(dir, 'pairs', 'xx-yy.yaml'), base);
  const own = readSpec('xx-yy/figure3', dir);
  assert.ok(own.ok);
  if (own.ok) {
    assert.is(profileFamily(own.spec.profiles.default), 'default');
    assert.is(corpusDirOf(own.spec.profiles.default, 'xx-yy'), join('data/corpus', 'xx-yy'));
  }
  writeFileSync(join(dir, 'pairs', 'xx-yy.yaml'), `${base}families: { default: default-2 }\n`);
  const moved = readSpec('xx-yy/figure3', dir);
  assert.ok(moved.ok);
  if (moved.ok) {
    assert.is(profileFamily(moved.spec.profiles.default), 'default-2');
    // default-2 trains on the prose copy, and its activations are read from the same text.
    assert.is(corpusDirOf(moved.spec.profiles.default, 'xx-yy'), join('data/corpus-prose', 'xx-yy'));
    // The smoke profile keeps its own family, and a profile of checkpoint paths reads the harvest.
    assert.is(profileFamily(moved.spec.profiles.smoke), 'smoke');
    assert.is(
      corpusDirOf({ ...moved.spec.profiles.default, family: { paths: {} } }, 'xx-yy'),
      join('data/corpus', 'xx-yy'),
    );
  }
  writeFileSync(join(dir, 'pairs', 'xx-yy.yaml'), `${base}families: { default: default-3 }\n`);
  const bad = readSpec('xx-yy/figure3', dir);
  assert.not.ok(bad.ok);
  assert.match(bad.ok ? '' : bad.issues.map(formatIssue).join('\n'), /pairs\/xx-yy\.yaml:3:\d+: families\.default: /);
  rmSync(dir, { recursive: true });
});

test('a golden recorded on another family cannot judge a run, and says how to re-record it', () => {
  assert.is(goldenFamilyNote('g.json', 'default', 'default', 'p.yaml', 'en-ja/figure3', 'default'), undefined);
  assert.is(goldenFamilyNote('g.json', null, null, 'p.yaml', 'en-ja/figure3', 'paper'), undefined);
  assert.is(
    goldenFamilyNote('g.json', 'default', 'default-2', 'p.yaml', 'en-ja/figure3', 'default'),
    'g.json holds results of the default family, but p.yaml now gives this profile the default-2 family, so the golden cannot judge this run; check these results and record them with `saetrace run en-ja/figure3 --profile default --update-golden`, or restore the pair file from git',
  );
});

test('a pair file merges in: languages, paper checkpoints, overrides located in the pair file when they break a profile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spec-pair-'));
  mkdirSync(join(dir, 'pairs'));
  writeFileSync(join(dir, 'figure3.yaml'), good);
  writeFileSync(join(dir, 'pairs', 'en-ja.yaml'), pairText);
  const ja = readSpec('en-ja/figure3', dir);
  assert.ok(ja.ok);
  if (ja.ok) {
    assert.equal(ja.spec.languages, ['en', 'ja']);
    assert.is(
      ja.spec.profiles.paper && 'paths' in ja.spec.profiles.paper.family
        ? ja.spec.profiles.paper.family.paths['3.7b']?.length
        : 0,
      6,
    );
    assert.equal(ja.spec.files, { experiment: join(dir, 'figure3.yaml'), pair: join(dir, 'pairs', 'en-ja.yaml') });
  }
  writeFileSync(
    join(dir, 'pairs', 'xx-yy.yaml'),
    'pair: xx-yy\nlanguages: [xx, yy]\noverrides:\n  figure3:\n    profiles:\n      default: { sae: { lr: 0.003 } }\n      smoke:\n        sae: { k: -1 }\n',
  );
  const bad = readSpec('xx-yy/figure3', dir);
  assert.not.ok(bad.ok);
  const msg = bad.ok ? '' : bad.issues.map(formatIssue).join('\n');
  assert.match(msg, /pairs\/xx-yy\.yaml:8:\d+: overrides\.figure3\.profiles\.smoke\.sae\.k: must be >= 1/);
  writeFileSync(
    join(dir, 'pairs', 'xx-yy.yaml'),
    'pair: xx-yy\nlanguages: [xx, yy]\noverrides:\n  figure3:\n    profiles:\n      default: { sae: { lr: 0.003 } }\n',
  );
  const ok = readSpec('xx-yy/figure3', dir);
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.is(ok.spec.profiles.default.sae.lr, 0.003);
    assert.is(ok.spec.profiles.default.sae.n, 1536);
    assert.is(ok.spec.profiles.paper, undefined);
    assert.throws(
      () => profileOf(ok.spec, 'paper'),
      /xx-yy\/figure3 has no paper profile: neither .*figure3\.yaml \(profiles\.paper\.family\) nor .*xx-yy\.yaml \(paper\.family\.paths\) names its checkpoints/,
    );
  }
  writeFileSync(join(dir, 'pairs', 'xx-yy.yaml'), 'pair: xx-yy\nlanguages: [xx]\nextra: 1\n');
  const shape = readSpec('xx-yy/figure3', dir);
  const m2 = shape.ok ? '' : shape.issues.map(formatIssue).join('\n');
  assert.match(m2, /xx-yy\.yaml:2:\d+: languages: must NOT have fewer than 2 items/);
  assert.match(m2, /xx-yy\.yaml:3:1: extra: unknown key 'extra'/);
  rmSync(dir, { recursive: true });
});

test('size-like fields are bounded: the message names the key and the limit and estimates the memory; k <= n', () => {
  const huge = parseSpec(
    good
      .replace(/sae: \{ n: (\d+), k: (\d+)/, 'sae: { n: 50000000, k: $2')
      .replace(/trainTokensPerLang: (\d+)/, 'trainTokensPerLang: 90000000000'),
    'experiments/en-ja/figure3.yaml',
  );
  const msg = huge.ok ? '' : huge.issues.map(formatIssue).join('\n');
  assert.match(
    msg,
    /profiles\.smoke\.sae\.n: 50000000 exceeds the limit 1048576; an SAE of n = 50000000 at width d = 3072 needs 3\.43e\+3 GiB/,
  );
  assert.match(
    msg,
    /profiles\.smoke\.activations\.trainTokensPerLang: 90000000000 exceeds the limit 8589934592; 90000000000 tokens of width 3072 are .* GiB of float16 activations/,
  );
  const batch = parseSpec(good.replace(/batchSize: (\d+), epochs/, 'batchSize: 2000000, epochs'), 'x.yaml');
  assert.match(
    batch.ok ? '' : formatIssue(batch.issues[0]!),
    /sae\.batchSize: 2000000 exceeds the limit 1048576; one step's dense encoder output of 2000000 x n = \d+ needs [\d.]+ GiB/,
  );
  const threads = parseSpec(good.replace('threads: 2', 'threads: 100000'), 'x.yaml');
  assert.match(threads.ok ? '' : formatIssue(threads.issues[0]!), /threads: 100000 exceeds the limit 1024$/);
  const k = parseSpec(good.replace(/sae: \{ n: (\d+), k: (\d+)/, 'sae: { n: 16, k: 32'), 'x.yaml');
  assert.match(
    k.ok ? '' : formatIssue(k.issues[0]!),
    /x\.yaml:\d+:\d+: profiles\.smoke\.sae\.k: k = 32 exceeds n = 16: TopK cannot keep more latents than the SAE has/,
  );
});

test('a damaged golden names the file and how to restore it; a golden of another spec version says which', () => {
  const dir = mkdtempSync(join(tmpdir(), 'golden-'));
  const p = join(dir, 'figure3.smoke.json');
  writeFileSync(p, '{"id": "figure3", "version": 3, "metrics": {"a": 1,');
  assert.throws(
    () => readGolden(p, 'en-ja/figure3', 'smoke'),
    /figure3\.smoke\.json: is not valid JSON at line 1, column 52 .*; restore it from git \(git checkout -- .*figure3\.smoke\.json\) or record it anew with `saetrace run en-ja\/figure3 --profile smoke --update-golden`/,
  );
  writeFileSync(p, '{"id": "figure3", "metrics": {}}');
  assert.throws(() => readGolden(p, 'en-ja/figure3', 'smoke'), /has the wrong shape: field 'version' is missing/);
  assert.is(goldenVersionNote(p, 4, 'experiments/en-ja/figure3.yaml', 4, 'en-ja/figure3', 'smoke'), undefined);
  assert.is(
    goldenVersionNote(
      'golden/en-ja/figure3.smoke.json',
      3,
      'experiments/en-ja/figure3.yaml',
      4,
      'en-ja/figure3',
      'smoke',
    ),
    'golden/en-ja/figure3.smoke.json holds results of spec version 3, but experiments/en-ja/figure3.yaml is at version 4, so the golden cannot judge this run; if the spec change is meant, check these results and record them with `saetrace run en-ja/figure3 --profile smoke --update-golden`, else restore the spec from git',
  );
  rmSync(dir, { recursive: true });
});

test("the reports index skips another spec's damaged provenance with a warning naming it, and is still written", async () => {
  const root = mkdtempSync(join(tmpdir(), 'reports-bad-'));
  mkdirSync(join(root, 'en-ja'));
  writeFileSync(join(root, 'en-ja', 'figure5.md'), '# Figure 5\n');
  writeFileSync(join(root, 'en-ja', 'figure5.default.provenance.json'), '{"wallSeconds": 9');
  writeFileSync(join(root, 'en-ja', 'figure3.md'), '# Figure 3\n');
  writeFileSync(
    join(root, 'en-ja', 'figure3.default.provenance.json'),
    JSON.stringify({ wallSeconds: 60, specVersion: 1 }),
  );
  const warnings: string[] = [];
  const md = readFileSync(await writeReportsIndex(root, (s) => warnings.push(s)), 'utf8');
  assert.is(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /^warning: reports index: skipped .*en-ja\/figure5\.default\.provenance\.json: is not valid JSON at line 1, column 18 .*; run `saetrace run en-ja\/figure5 --profile default` again to rewrite it, or delete it$/,
  );
  assert.match(md, /\| \[Figure 5\]\(en-ja\/figure5\.md\) \| default \| - \| - \| - \|/);
  assert.match(md, /\| \[Figure 3\]\(en-ja\/figure3\.md\) \| default \| 1\.0 min \|/);
  rmSync(root, { recursive: true });
});

test.run();
