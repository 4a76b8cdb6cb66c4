import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCaptured } from '../testing.ts';
import { corpusCommand } from './corpus.ts';

const capture = (argv: string[]) => runCaptured(argv, [corpusCommand]);

test('corpus stats verifies the committed en-ja corpus and reports its scale', async () => {
  const r = await capture(['corpus', 'stats', '--pair', 'en-ja', '--json']);
  assert.is(r.code, 0, r.err);
  const s = JSON.parse(r.out) as {
    totals: Record<string, { docWords: number; docChars: number }>;
    parallel: { dev: number; test: number };
    verified: boolean;
    files: Record<string, { chars: number; composition: Record<string, Record<string, number>> }>;
  };
  assert.ok(s.verified);
  // Script composition per file and language: shares of the non-whitespace characters, summing to 1.
  const ja = s.files['eval.ja.jsonl.gz']!;
  const c = ja.composition.ja!;
  assert.ok(c.chars! > 0 && c.chars! <= ja.chars, `${c.chars} of ${ja.chars}`);
  const sum = c.own! + c.latin! + c.otherLetters! + c.digits! + c.punctuation! + c.other!;
  assert.ok(Math.abs(sum - 1) < 1e-9, `shares sum to ${sum}`);
  assert.ok(c.own! > 0.5 && c.latin! > 0, JSON.stringify(c));
  assert.ok(s.totals.en!.docWords >= 2_500_000, `English words ${s.totals.en!.docWords}`);
  assert.ok(s.parallel.dev + s.parallel.test >= 20_000);
});

test('corpus usage errors exit 2 and name the problem', async () => {
  assert.is((await capture(['corpus'])).code, 2);
  assert.match((await capture(['corpus', 'nope'])).err, /unknown subcommand 'nope'/);
  assert.match((await capture(['corpus', 'harvest'])).err, /--lang is required/);
  assert.match((await capture(['corpus', 'harvest', '--lang', 'xx'])).err, /unsupported language 'xx'/);
  assert.match(
    (await capture(['corpus', 'harvest', '--lang', 'ja', '--held-out', '0'])).err,
    /--held-out must be a percentage/,
  );
  assert.match((await capture(['corpus', 'stats', '--root', '/nonexistent'])).err, /no corpus under/);
  assert.match((await capture(['corpus', 'stats', '--bogus'])).err, /Unknown option/);
});

test.run();
