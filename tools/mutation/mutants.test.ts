import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { applyEdit, MUTANTS } from './mutants.ts';

test('every mutant edits the current sources: each `from` occurs exactly once and the edit changes the text', () => {
  assert.ok(MUTANTS.length >= 5);
  assert.equal(new Set(MUTANTS.map((m) => m.name)).size, MUTANTS.length);
  for (const m of MUTANTS) {
    assert.ok(m.specs.length > 0, m.name);
    for (const e of m.edits) {
      const text = readFileSync(e.file, 'utf8');
      const out = applyEdit(m, e, text);
      assert.is.not(out, text, m.name);
      assert.ok(out.includes(e.to), m.name);
    }
  }
});

test('an edit that no longer matches, or matches twice, is an error naming the mutant and file', () => {
  const m = { name: 'x', what: 'w', edits: [{ file: 'f.ts', from: 'a', to: 'b' }], specs: ['en-ja/figure3'] };
  assert.throws(
    () => applyEdit(m, m.edits[0] as (typeof m.edits)[0], 'ccc'),
    /mutant x: 'a' occurs 0 times in f\.ts, expected once/,
  );
  assert.throws(() => applyEdit(m, m.edits[0] as (typeof m.edits)[0], 'aa'), /occurs 2 times/);
});

test.run();
