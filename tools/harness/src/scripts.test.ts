import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pairScripts, tokenScriptTable } from './scripts.ts';

test('a token is of the second language when it has one of its letters, else of the first, else neither', () => {
  const vocab = ['the', '日本', 'カナ', 'ab語', '12', '.', '\ufffd', ' x'];
  const { table, key } = tokenScriptTable(
    10,
    vocab.length,
    (id) => vocab[id] as string,
    pairScripts(['en', 'ja'], undefined, 'p.yaml'),
  );
  assert.equal([...table], [1, 2, 2, 2, 0, 0, 0, 1, 0, 0]);
  assert.is(key.length, 16);
  const zh = tokenScriptTable(
    3,
    3,
    (id) => ['中文', 'かな', 'a'][id] as string,
    pairScripts(['en', 'zh'], undefined, 'p.yaml'),
  );
  assert.equal([...zh.table], [2, 0, 1]);
});

test('a pair file names scripts for a language the defaults lack; a language with none is an error naming the file', () => {
  assert.equal(pairScripts(['en', 'el'], { el: ['Greek'] }, 'p.yaml'), [['Latin'], ['Greek']]);
  assert.throws(
    () => pairScripts(['en', 'el'], undefined, 'experiments/pairs/en-el.yaml'),
    /experiments\/pairs\/en-el\.yaml: no script known for language 'el'; add scripts: \{ el: \[<Unicode script>\] \}/,
  );
});

test.run();
