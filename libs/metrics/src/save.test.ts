import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarise, type FeatureStat } from './features.ts';
import { readFeatureColumns, saveFeatureMetrics } from './save.ts';

test('feature metrics round-trip through the columnar file and summary.json', async () => {
  const stats: FeatureStat[] = [
    { feature: 0, occurrences: 5, pLang: [1, 0], cls: 'first', tokenEntropy: 0.5, semanticEntropy: 0.1, monosemanticity: 0.8, meanSpan: 1.5, topTokens: [{ id: 3, p: 1 }], clusters: 1, examples: [{ doc: 0, position: 3, activation: 1 }] },
    { feature: 1, occurrences: 0, pLang: [0, 0], cls: 'dead', tokenEntropy: 0, semanticEntropy: 0, monosemanticity: 0, meanSpan: 0, topTokens: [], clusters: 0, examples: [] },
    { feature: 2, occurrences: 4, pLang: [0.5, 0.5], cls: 'mixed', tokenEntropy: 1, semanticEntropy: 0.5, monosemanticity: 0.5, meanSpan: 1, topTokens: [{ id: 9, p: 0.5 }], clusters: 2, examples: [] },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'fm-'));
  await saveFeatureMetrics(dir, stats, summarise(stats), ['en', 'ja']);
  const back = await readFeatureColumns(dir);
  assert.equal(back.classes, ['first', 'dead', 'mixed']);
  assert.equal(Array.from(back.occurrences), [5, 0, 4]);
  assert.equal(back.languages, ['en', 'ja']);
  const json = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.is(json.summary.dead, 1);
  assert.is(json.topTokens.length, 2);
  await readFeatureColumns(mkdtempSync(join(tmpdir(), 'fm-empty-'))).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /cannot open/));
});

test.run();
