import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '@saetrace/engine';
import { summarise, type FeatureStat } from './features.ts';
import { readFeatureColumns, saveFeatureMetrics } from './save.ts';

const stats: FeatureStat[] = [
  {
    feature: 0,
    occurrences: 5,
    pLang: [1, 0],
    cls: 'first',
    tokenEntropy: 0.5,
    semanticEntropy: 0.1,
    monosemanticity: 0.8,
    meanSpan: 1.5,
    topTokens: [{ id: 3, p: 1 }],
    clusters: 1,
    examples: [{ doc: 0, position: 3, activation: 1, context: [2, 3, 4], offset: 1 }],
  },
  {
    feature: 1,
    occurrences: 0,
    pLang: [0, 0],
    cls: 'dead',
    tokenEntropy: 0,
    semanticEntropy: 0,
    monosemanticity: 0,
    meanSpan: NaN,
    topTokens: [],
    clusters: 0,
    examples: [],
  },
  {
    feature: 2,
    occurrences: 4,
    pLang: [0.25, 0.75],
    cls: 'mixed',
    tokenEntropy: 1,
    semanticEntropy: 0.5,
    monosemanticity: 0.5,
    meanSpan: 1,
    topTokens: [{ id: 9, p: 0.5 }],
    clusters: 2,
    examples: [],
  },
];

test('feature metrics round-trip through the columnar file and summary.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-'));
  await saveFeatureMetrics(dir, stats, summarise(stats, ['en', 'ja']), ['en', 'ja']);
  const back = await readFeatureColumns(dir);
  assert.equal(back.classes, ['first', 'dead', 'mixed']);
  assert.equal(Array.from(back.occurrences), [5, 0, 4]);
  assert.equal(Array.from(back.pLang), [1, 0, 0, 0, 0.25, 0.75]);
  assert.equal(Array.from(back.clusters), [1, 0, 2]);
  assert.equal(Array.from(back.meanSpan), [1.5, 0, 1], 'a dead feature has span 0 in the columns');
  assert.equal(Array.from(back.monosemanticity), [0.800000011920929, 0, 0.5]);
  assert.equal(Array.from(back.tokenEntropy), [0.5, 0, 1]);
  assert.equal(Array.from(back.semanticEntropy), [0.10000000149011612, 0, 0.5]);
  assert.equal(back.languages, ['en', 'ja']);
  const json = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.is(json.summary.dead, 1);
  assert.equal(
    json.topTokens.map((t: { label: string }) => t.label),
    ['en', 'mixed'],
  );
  assert.equal(json.topTokens[0].tokens, [{ id: 3, p: 1 }]);
  // With a decode function the top tokens carry text and the examples their marked contexts.
  await saveFeatureMetrics(dir, stats, summarise(stats), ['en', 'ja'], {
    decode: (ids) => ids.map((i) => `t${i}`).join(' '),
  });
  const decoded = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(decoded.topTokens[0].tokens, [{ id: 3, p: 1, text: 't3' }]);
  assert.equal(decoded.topTokens[0].examples, [{ doc: 0, position: 3, activation: 1, text: 't2[[t3]]t4' }]);
});

test('saving and reading name what is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-bad-'));
  await saveFeatureMetrics(dir, stats, summarise(stats), ['en']).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /feature 0 has 2 language shares for 1 languages/),
  );
  await readFeatureColumns(mkdtempSync(join(tmpdir(), 'fm-empty-'))).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /cannot open/),
  );
  const f32 = (xs: number[]) => ({ dtype: 'float32' as const, shape: [xs.length], data: Float32Array.from(xs) });
  await writeSafetensors(join(dir, 'features.safetensors'), { occurrences: f32([1]) });
  await readFeatureColumns(dir).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /features\.safetensors: column 'class' is missing/),
  );
  await writeSafetensors(join(dir, 'features.safetensors'), { class: f32([0]) });
  await readFeatureColumns(dir).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /column 'class' is not Int32Array/),
  );
  await writeSafetensors(join(dir, 'features.safetensors'), {
    class: { dtype: 'int32', shape: [1], data: Int32Array.from([7]) },
  });
  await readFeatureColumns(dir).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /class code 7 of feature 0 is not one of 0\.\.3/),
  );
});

test.run();
