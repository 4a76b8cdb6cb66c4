import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyByPeakTokens,
  classifyExampleDir,
  peakLanguage,
  peakPosition,
  readExampleFile,
  type ExampleSequence,
} from './examples.ts';

const seq = (...xs: [string, number][]): ExampleSequence => xs;

test("peak position is the first maximum; detectors follow the authors' regex or Unicode script", () => {
  assert.is(peakPosition(seq(['a', 1], ['b', 3], ['c', 3])), 1);
  assert.is(peakPosition([]), -1);
  assert.is(peakLanguage(seq(['the', 1], [' cat', 5]), 'llmjp-regex'), 'en');
  assert.is(peakLanguage(seq(['猫', 5]), 'llmjp-regex'), 'ja');
  // Digits take the previous token's language; with none before them the regex rule says Japanese.
  assert.is(peakLanguage(seq(['year', 1], ['2024', 9]), 'llmjp-regex'), 'en');
  assert.is(peakLanguage(seq(['年', 1], ['12', 9]), 'llmjp-regex'), 'ja');
  assert.is(peakLanguage(seq(['12', 9]), 'llmjp-regex'), 'ja');
  assert.is(
    peakLanguage(seq(['year', 1], ['２０', 2], [' 24 ', 9]), 'llmjp-regex'),
    'en',
    'full-width digits and padded digits look further back',
  );
  assert.is(
    peakLanguage(seq(['"Hello," (she-said).', 9]), 'llmjp-regex'),
    'en',
    'quotes, brackets, comma, dot and hyphen are in the English class',
  );
  assert.is(peakLanguage(seq(['hello!', 9]), 'llmjp-regex'), 'ja', 'an exclamation mark is not');
  // The authors' quirk: any non-ASCII-letter token is "Japanese", accented Latin included; the script detector disagrees.
  assert.is(peakLanguage(seq(['café', 9]), 'llmjp-regex'), 'ja');
  assert.is(peakLanguage(seq(['café', 9]), 'script'), 'en');
  assert.is(peakLanguage(seq(['한국', 9]), 'script'), 'ko');
  assert.is(peakLanguage(seq(['。', 9]), 'script'), null);
  assert.is(peakLanguage(seq(['です', 1], ['。', 9]), 'script'), 'ja');
  assert.is(peakLanguage([], 'script'), null);
});

test('peak-token classification with the 0.9 cut, and a directory of demo files', () => {
  const en = seq(['the', 9]);
  const ja = seq(['の', 9]);
  assert.is(classifyByPeakTokens(Array(10).fill(en), 'script'), 'en');
  assert.is(classifyByPeakTokens([...Array(9).fill(ja), en], 'script'), 'mixed');
  assert.is(classifyByPeakTokens([...Array(19).fill(ja), en], 'script'), 'ja');
  assert.is(classifyByPeakTokens([seq(['。', 1])], 'script'), 'none');
  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  const file = (name: string, examples: ExampleSequence[]) =>
    writeFileSync(join(dir, name), JSON.stringify({ token_act: examples }));
  file('0.json', [en, en]);
  file('1.json', [ja, ja, ja]);
  file('2.json', [en, ja]);
  file('3.json', [seq(['café', 3]), seq(['café', 3])]);
  assert.equal(classifyExampleDir(dir, 'llmjp-regex'), { en: 1, ja: 2, mixed: 1, none: 0 });
  assert.equal(classifyExampleDir(dir, 'script'), { en: 2, ja: 1, mixed: 1, none: 0 });
  writeFileSync(join(dir, 'bad.json'), '{"token_act": [[["x", "high"]]]}');
  assert.throws(
    () => readExampleFile(join(dir, 'bad.json')),
    /bad\.json: token_act\[0\]\[0\] is not \[token, activation\]/,
  );
  writeFileSync(join(dir, 'bad.json'), '{oops');
  assert.throws(() => readExampleFile(join(dir, 'bad.json')), /bad\.json: is not valid JSON at line \d+, column \d+/);
  writeFileSync(join(dir, 'bad.json'), '{"x": 1}');
  assert.throws(() => readExampleFile(join(dir, 'bad.json')), /no 'token_act' list/);
  writeFileSync(join(dir, 'bad.json'), '{"token_act": [1]}');
  assert.throws(() => readExampleFile(join(dir, 'bad.json')), /token_act\[0\] is not a list/);
});

test.run();
