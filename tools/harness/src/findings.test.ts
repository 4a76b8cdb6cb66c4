import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { withFindingsSection } from '../../cli/src/commands/findings.ts';
import { evaluateFindings, findingsMarkdown, type FindingContext, type FindingDecl } from './findings.ts';
import { compareFindings } from './golden.ts';
import { formatIssue, parseSpec } from './spec.ts';

/** Flat feature-dynamics metrics: mixed[layer][i] at steps[i], `alive` features each. */
function dynamics(
  steps: readonly number[],
  mixed: Readonly<Record<number, readonly number[]>>,
  alive = 1000,
): Record<string, number> {
  const m: Record<string, number> = {};
  for (const [layer, series] of Object.entries(mixed)) {
    series.forEach((v, i) => {
      const key = `step-${String(steps[i]).padStart(6, '0')}@L${layer}`;
      m[`${key}/shares/mixed`] = v;
      m[`${key}/alive`] = alive;
    });
  }
  return m;
}

const ctx = (others: Record<string, Record<string, number>> = {}): FindingContext => ({
  languages: ['en', 'ja'],
  size: 'xl',
  metricsOf: (id) =>
    others[id] ? { metrics: others[id] as Record<string, number>, size: id } : { missing: `no results of ${id}` },
});
const decl = (rule: string, extra: Record<string, unknown> = {}): FindingDecl => ({
  id: 'f',
  rule,
  claim: 'c',
  ...extra,
});
const one = (d: FindingDecl, m: Record<string, number>, c = ctx()) =>
  evaluateFindings([d], m, c)[0] as { holds: boolean | null; numbers: string };

test('dip-and-rise: an interior minimum with a fall and a rise beyond the sampling noise holds; otherwise not', () => {
  const steps = [1, 10, 100, 600];
  assert.is(one(decl('dip-and-rise', { layer: 'mid' }), dynamics(steps, { 3: [0.6, 0.3, 0.2, 0.4] })).holds, true);
  // The minimum at the last checkpoint: falls but never rises.
  assert.is(one(decl('dip-and-rise', { layer: 'mid' }), dynamics(steps, { 3: [0.6, 0.5, 0.4, 0.3] })).holds, false);
  // A rise of 0.02 over 100 alive features is noise (2 s.e. is about 0.11), over 100000 it is not.
  assert.is(
    one(decl('dip-and-rise', { layer: 'mid' }), dynamics(steps, { 3: [0.6, 0.3, 0.2, 0.22] }, 100)).holds,
    false,
  );
  assert.is(
    one(decl('dip-and-rise', { layer: 'mid' }), dynamics(steps, { 3: [0.6, 0.3, 0.2, 0.22] }, 100000)).holds,
    true,
  );
  // mid of sites 0..6 is 3, whatever the other layers do; too few checkpoints cannot be judged.
  const r = one(
    decl('dip-and-rise', { layer: 'mid' }),
    dynamics(steps, { 0: [0.9, 0.9, 0.9, 0.9], 3: [0.6, 0.3, 0.2, 0.4], 6: [0.1, 0.1, 0.1, 0.1] }),
  );
  assert.is(r.holds, true);
  assert.match(r.numbers, /^layer 3: 60\.0% at step 1 -> minimum 20\.0% at step 100 -> 40\.0% at step 600/);
  assert.is(one(decl('dip-and-rise', { layer: 3 }), dynamics([1, 600], { 3: [0.6, 0.4] })).holds, null);
});

test('mid-layers-peak compares the middle third of the last checkpoint with the lower and the upper third', () => {
  const peak = dynamics([1, 600], {
    0: [0, 0.2],
    1: [0, 0.3],
    2: [0, 0.5],
    3: [0, 0.6],
    4: [0, 0.4],
    5: [0, 0.3],
    6: [0, 0.2],
  });
  const r = one(decl('mid-layers-peak'), peak);
  assert.is(r.holds, true);
  assert.match(r.numbers, /layers 0-1 25\.0%, 2-4 50\.0%, 5-6 25\.0%/);
  const falling = dynamics([1, 600], { 0: [0, 0.6], 1: [0, 0.5], 2: [0, 0.4], 3: [0, 0.3], 4: [0, 0.2] });
  assert.is(one(decl('mid-layers-peak'), falling).holds, false);
  assert.is(one(decl('mid-layers-peak'), dynamics([600], { 0: [0.1], 1: [0.2] })).holds, null);
});

test('grows-with-size reads the other sizes from their specs, and cannot be judged when one is missing', () => {
  const at = (v: number) => dynamics([1, 600], { 0: [0, 0], 2: [0.5, v], 4: [0, 0] });
  const d = decl('grows-with-size', { specs: ['figure8', 'figure12', 'self'] });
  assert.is(one(d, at(0.4), ctx({ figure8: at(0.2), figure12: at(0.3) })).holds, true);
  const r = one(d, at(0.25), ctx({ figure8: at(0.2), figure12: at(0.3) }));
  assert.is(r.holds, false);
  assert.match(r.numbers, /figure8 20\.0%, figure12 30\.0%, xl 25\.0%/);
  assert.is(one(d, at(0.4), ctx({ figure8: at(0.2) })).holds, null);
});

test('own-language-helps needs each language helped most by its own features and bilingual features helping both', () => {
  const m = (enJa: number, bil: [number, number]) => ({
    'alpha-0.1_n-100/none/ppl/en/mean': 100,
    'alpha-0.1_n-100/English/pplChange/en': -0.02,
    'alpha-0.1_n-100/English/pplChange/ja': enJa,
    'alpha-0.1_n-100/Japanese/pplChange/en': -0.001,
    'alpha-0.1_n-100/Japanese/pplChange/ja': -0.03,
    'alpha-0.1_n-100/Bilingual/pplChange/en': bil[0],
    'alpha-0.1_n-100/Bilingual/pplChange/ja': bil[1],
  });
  assert.is(one(decl('own-language-helps'), m(-0.001, [-0.01, -0.01])).holds, true);
  assert.is(one(decl('own-language-helps'), m(-0.05, [-0.01, -0.01])).holds, false);
  assert.is(one(decl('own-language-helps'), m(-0.001, [-0.01, 0.002])).holds, false);
  assert.is(one(decl('own-language-helps'), {}).holds, null);
  // Metrics outside the settings (the full model's scores) are not rows.
  const withFull = {
    ...m(-0.001, [-0.01, -0.01]),
    'fullModel/translation/chrF en->ja': 3,
    'fullModel/refPpl/en->ja': 9,
  };
  assert.is(one(decl('own-language-helps'), withFull).holds, true);
});

test('bilingual-helps-translation: the Bilingual row lowers the reference perplexity most, in every direction', () => {
  const m = (bil: [number, number]) => ({
    'alpha-0.1_n-100/English/refPplChange/en->ja': 0.002,
    'alpha-0.1_n-100/English/refPplChange/ja->en': -0.017,
    'alpha-0.1_n-100/Japanese/refPplChange/en->ja': -0.005,
    'alpha-0.1_n-100/Japanese/refPplChange/ja->en': 0,
    'alpha-0.1_n-100/Bilingual/refPplChange/en->ja': bil[0],
    'alpha-0.1_n-100/Bilingual/refPplChange/ja->en': bil[1],
  });
  assert.is(one(decl('bilingual-helps-translation'), m([-0.01, -0.02])).holds, true);
  const no = one(decl('bilingual-helps-translation'), m([0, -0.007]));
  assert.is(no.holds, false);
  assert.match(no.numbers, /en->ja: Bilingual 0\.00% vs English 0\.20%, Japanese -0\.50% \(no\)/);
  assert.is(one(decl('bilingual-helps-translation'), {}).holds, null);
});

test('a golden verdict that changes, or that this run cannot judge, fails; no recorded verdicts, no rows', () => {
  const rows = compareFindings({ a: true, b: false, c: true }, [
    { id: 'a', holds: true },
    { id: 'b', holds: true },
    { id: 'c', holds: null },
  ]);
  assert.equal(
    rows.map((r) => [r.metric, r.ok]),
    [
      ['finding/a', true],
      ['finding/b', false],
      ['finding/c', false],
    ],
  );
  assert.equal(compareFindings(undefined, [{ id: 'a', holds: true }]), []);
});

test('the spec schema takes findings by rule and refuses unknown rules or parameters with their line', () => {
  const good = readFileSync('experiments/figure8.yaml', 'utf8');
  assert.ok(parseSpec(good, 'f.yaml').ok);
  const bad = parseSpec(good.replace('rule: mid-layers-peak', 'rule: mid-layer-peak'), 'f.yaml');
  assert.not.ok(bad.ok);
  const line = good.split('\n').findIndex((l) => l.includes('rule: mid-layers-peak')) + 1;
  if (!bad.ok)
    assert.ok(
      bad.issues.some((i) => i.path.startsWith('findings.1') && Math.abs(i.line - line) <= 1),
      bad.issues.map(formatIssue).join('\n'),
    );
  const extra = parseSpec(good.replace('    layer: mid\n', '    layer: mid\n    z: 0\n'), 'f.yaml');
  assert.not.ok(extra.ok);
});

test('the findings section replaces its old self in a report, or goes before the provenance', () => {
  const section = findingsMarkdown([{ id: 'f', rule: 'r', claim: 'c', holds: false, numbers: 'a | b' }], { f: true });
  assert.match(section, /\| f \| c \| \*\*not reproduced\*\* \| holds \| a \/ b \|/);
  const md = '# T\n\ntext\n\n## Provenance\n\n{}\n';
  const once = withFindingsSection(md, section);
  assert.match(once, /text\n\n## Findings[\s\S]*\n## Provenance/);
  assert.is(withFindingsSection(once, section), once);
});

test.run();
