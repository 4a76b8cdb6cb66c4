import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { family } from './zoo.ts';

test("zoo --profile default trains the family the pair's default profile uses; a family named outright is that one", () => {
  // experiments/pairs/en-ja.yaml gives the default profile default-2 (trained on the prose copy); en-ko keeps default.
  const ja = family({ profile: 'default', pair: 'en-ja' });
  assert.is(ja.profile.name, 'default-2');
  assert.is(ja.outDir, '.cache/zoo/en-ja/default-2');
  assert.is(ja.corpusRoot, 'data/corpus-prose');
  const ko = family({ profile: 'default', pair: 'en-ko' });
  assert.is(ko.profile.name, 'default');
  assert.is(ko.corpusRoot, 'data/corpus');
  assert.is(family({ profile: 'default-2', pair: 'en-ko' }).profile.name, 'default-2');
  assert.is(family({ profile: 'smoke', pair: 'en-ja' }).profile.name, 'smoke');
  assert.is(family({ profile: 'default', pair: 'en-ja', corpus: 'elsewhere' }).corpusRoot, 'elsewhere');
  assert.throws(() => family({ profile: 'large', pair: 'en-ja' }), /profile/);
});

test.run();
