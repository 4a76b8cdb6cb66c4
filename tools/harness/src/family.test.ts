import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomInitCheckpoint } from './family.ts';
import type { ProfileSpec } from './spec.ts';

const profile = (family: ProfileSpec['family']): ProfileSpec => ({
  family,
  size: 'largest',
  layers: ['mid'],
  checkpoints: 'all',
  randomInit: true,
  activations: { trainTokensPerLang: 64, evalTokensPerLang: 64 },
  sae: { n: 8, k: 2, lr: 0.001, warmupSteps: 0, batchSize: 8, epochs: 1 },
  metrics: { languageCut: 0.9, cosineCut: 0.1, clusterRule: 'greedy' },
  seed: 1,
});

test('randomInit is refused for real checkpoints (their init is unknown) and for a member without checkpoints', async () => {
  const trained = { size: '1b', checkpoints: [{ size: '1b', step: 1, tokens: 10, dir: '/nowhere' }] };
  await randomInitCheckpoint(
    profile({ paths: { '1b': [{ dir: '/nowhere', tokens: 10 }] } }),
    'en-ja',
    trained,
    'spec figure3',
  ).then(
    () => assert.unreachable('accepted a paths family'),
    (e: Error) => assert.match(e.message, /spec figure3: randomInit needs the embedded family/),
  );
  await randomInitCheckpoint(
    profile({ zoo: 'smoke' }),
    'en-ja',
    { size: 'nope', checkpoints: [] },
    'spec figure3',
  ).then(
    () => assert.unreachable('accepted a member that is not in the family'),
    (e: Error) => assert.match(e.message, /no member 'nope' with checkpoints/),
  );
});

test.run();
