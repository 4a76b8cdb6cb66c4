import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readLlamaConfig, readLlamaWeights } from '@saetrace/lm';
import { largestMemberEmbeddings, randomInitCheckpoint } from './family.ts';
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

const hf = (variant: string) => join('libs/lm/fixtures/hf', variant);

test("semantic entropy's embeddings are the largest member's final checkpoint's, whatever size is analysed", async () => {
  // Two sizes of real checkpoints (Hugging Face fixtures, vocabulary 64): the smaller analysed, the larger's last
  // checkpoint (mha, after tied) embeds.
  const p = {
    ...profile({
      paths: {
        s: [{ dir: hf('f32'), tokens: 1 }],
        l: [
          { dir: hf('tied'), tokens: 1 },
          { dir: hf('mha'), tokens: 2 },
        ],
      },
    }),
    size: 's',
  };
  const got = await largestMemberEmbeddings(p, 'en-ja', { dir: hf('f32'), vocabRows: 64 });
  assert.is(got.size, 'l');
  assert.is(got.dir, hf('mha'));
  const want = (await readLlamaWeights(hf('mha'), await readLlamaConfig(hf('mha'))))['model.embed_tokens.weight']!;
  const own = (await readLlamaWeights(hf('f32'), await readLlamaConfig(hf('f32'))))['model.embed_tokens.weight']!;
  assert.equal(got.embeddings.shape, want.shape);
  assert.equal(Array.from(got.embeddings.data as Float32Array), Array.from(want.data as Float32Array));
  assert.not.equal(Array.from(got.embeddings.data as Float32Array), Array.from(own.data as Float32Array));
  await largestMemberEmbeddings(p, 'en-ja', { dir: '/analysed', vocabRows: 65 }).then(
    () => assert.unreachable('accepted a largest member with another vocabulary'),
    (e: Error) =>
      assert.match(
        e.message,
        /mha, 64 rows\), but \/analysed has a vocabulary of 65: every size of the family must share one tokenizer/,
      ),
  );
});

test.run();
