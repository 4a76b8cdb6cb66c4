import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dynamicsMetrics } from './feature-dynamics-report.ts';

test('the evaluation text is recorded per document language as shares of tokens by script', () => {
  const m = dynamicsMetrics({
    size: 'xl',
    layers: [3],
    points: [],
    evalTokenScripts: {
      en: { tokens: 100, first: 0.7, second: 0, neither: 0.3 },
      ja: { tokens: 80, first: 0.125, second: 0.625, neither: 0.25 },
    },
    timings: { extract: 0, sae: 0, metrics: 0 },
  });
  assert.equal(m, {
    'evalTokenScripts/en/en': 0.7,
    'evalTokenScripts/en/ja': 0,
    'evalTokenScripts/en/neither': 0.3,
    'evalTokenScripts/en/tokens': 100,
    'evalTokenScripts/ja/en': 0.125,
    'evalTokenScripts/ja/ja': 0.625,
    'evalTokenScripts/ja/neither': 0.25,
    'evalTokenScripts/ja/tokens': 80,
  });
  assert.equal(
    dynamicsMetrics({ size: 'xl', layers: [], points: [], timings: { extract: 0, sae: 0, metrics: 0 } }),
    {},
  );
});

test.run();
