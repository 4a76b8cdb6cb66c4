import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UsageError } from '../command.ts';
import { makeTokenizerCommand, tokenizerCommand } from './tokenizer.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-tok-'));
const corpus = join(root, 'corpus');
const EN = [
  'The cat sat on the mat.',
  'A dog ran in the park, and the cat watched.',
  'Reading the manual helps the user.',
];
const JA = ['猫がマットの上に座った。', '犬が公園を走り、猫が見ていた。', 'マニュアルを読むと役に立ちます。'];
function writeDocs(split: string, lang: string, texts: string[]): void {
  mkdirSync(join(corpus, 'en-ja'), { recursive: true });
  const lines = texts.map((text, i) =>
    JSON.stringify({ id: `${lang}-${i}`, lang, text, package: 'p', licence: 'MIT', source: 's' }),
  );
  writeFileSync(join(corpus, 'en-ja', `${split}.${lang}.jsonl.gz`), gzipSync(`${lines.join('\n')}\n`));
}
const rep = <T>(xs: T[], n: number): T[] => Array.from({ length: n }, () => xs).flat();
writeDocs('train', 'en', rep(EN, 20));
writeDocs('train', 'ja', rep(JA, 20));
writeDocs('eval', 'en', ['The cat ran.', 'the park']);
writeDocs('eval', 'ja', ['猫が走った。鬱']);
const out = join(root, 'tok');
const reportPath = join(root, 'reports', 'tokenizer.md');

const lines: string[] = [];
const cmd = makeTokenizerCommand({ log: (l) => lines.push(l) });

async function usage(argv: string[], re: RegExp): Promise<void> {
  await cmd.run(argv).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, UsageError);
      assert.match(e.message, re);
    },
  );
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('train writes a loadable tokenizer with training.json, byte-identical on a rerun', async () => {
  assert.is(await cmd.run(['train', '--pair', 'en-ja', '--vocab', '900', '--corpus', corpus, '--out', out]), 0);
  assert.match(lines.join('\n'), /trained en-ja: \d+ tokens \(\d+ characters, \d+ merges\) from 120 documents/);
  const first = readFileSync(join(out, 'tokenizer.json'));
  const training = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')) as {
    vocabSize: number;
    inputs: Record<string, string>;
  };
  assert.is(training.vocabSize, 900);
  assert.match(training.inputs['train.ja.jsonl.gz']!, /^[0-9a-f]{64}$/);
  assert.ok(existsSync(join(out, 'tokenizer_config.json')));
  assert.is(await cmd.run(['train', '--pair', 'en-ja', '--vocab', '900', '--corpus', corpus, '--out', out]), 0);
  assert.ok(readFileSync(join(out, 'tokenizer.json')).equals(first));
});

test('train warns when the corpus runs out of pairs before the vocabulary size', async () => {
  lines.length = 0;
  assert.is(
    await cmd.run([
      'train',
      '--pair',
      'en-ja',
      '--vocab',
      '5000',
      '--corpus',
      corpus,
      '--out',
      join(root, 'big'),
      '--max-docs',
      '3',
      '--min-pair-freq',
      '2',
    ]),
    0,
  );
  assert.match(lines.join('\n'), /warning: stopped at \d+ tokens/);
  assert.match(lines.join('\n'), /from 6 documents/);
});

test('report prints the rates, writes the pair section and replaces it on a rerun', async () => {
  lines.length = 0;
  const base = ['report', '--pair', 'en-ja', '--tokenizer', out, '--corpus', corpus, '--report', reportPath];
  assert.is(await cmd.run(base), 0);
  const text = lines.join('\n');
  assert.match(text, /\*\*English: [\d.]+ tokens per word\*\*/);
  assert.match(text, /\*\*ja: [\d.]+ tokens per character\*\*/);
  assert.match(
    text,
    /1 distinct characters \(1 occurrences, [\d.]+%\) have no token and fall back to bytes\. Most frequent of them: 鬱 ×1/,
  );
  const md = readFileSync(reportPath, 'utf8');
  assert.match(md, /^# Tokenizer report/);
  assert.match(md, /<!-- pair:en-ja -->\n## en-ja\n/);
  assert.match(md, /trained on the train split: 120 documents/);
  writeFileSync(reportPath, `${md}\n<!-- pair:en-ko -->\n## en-ko\nkept\n<!-- /pair:en-ko -->\n`);
  lines.length = 0;
  assert.is(await cmd.run([...base, '--json']), 0);
  const json = JSON.parse(lines[0]!) as { measures: Record<string, { documents: number; roundTripFailures: number }> };
  assert.is(json.measures.en!.documents, 2);
  assert.is(json.measures.ja!.roundTripFailures, 0);
  const md2 = readFileSync(reportPath, 'utf8');
  assert.is(md2.split('<!-- pair:en-ja -->').length, 2, 'section replaced, not duplicated');
  assert.match(md2, /## en-ko\nkept/);
});

test('report flags a tokenizer whose training corpus has changed', async () => {
  writeDocs('train', 'en', rep(EN, 21));
  lines.length = 0;
  assert.is(
    await cmd.run(['report', '--pair', 'en-ja', '--tokenizer', out, '--corpus', corpus, '--report', reportPath]),
    0,
  );
  assert.match(lines.join('\n'), /warning: train\.en\.jsonl\.gz changed since/);
  assert.match(readFileSync(reportPath, 'utf8'), /\*\*Stale:\*\* train\.en\.jsonl\.gz changed/);
  assert.not.match(lines.join('\n'), /train\.ja\.jsonl\.gz changed/);
});

test('report without training.json still works', async () => {
  rmSync(join(out, 'training.json'));
  lines.length = 0;
  assert.is(
    await cmd.run([
      'report',
      '--pair',
      'en-ja',
      '--tokenizer',
      out,
      '--corpus',
      corpus,
      '--report',
      reportPath,
      '--max-docs',
      '1',
    ]),
    0,
  );
  assert.match(lines.join('\n'), /no training\.json beside it/);
  assert.match(lines.join('\n'), /\| en \| 1 \|/);
});

test('usage errors name the argument', async () => {
  await usage([], /subcommand is required/);
  await usage(['fit'], /unknown subcommand 'fit'/);
  await usage(['train'], /--pair is required/);
  await usage(['train', '--pair', 'english'], /--pair: pair must look like 'en-ja'/);
  await usage(['train', '--pair', 'en-ja', '--vocab', '100'], /--vocab must be an integer >= 261, got '100'/);
  await usage(['train', '--pair', 'en-ja', '--coverage', '1.5'], /--coverage must be a number in \(0, 1\]/);
  await usage(['train', '--pair', 'en-ja', '--bogus'], /bogus/);
  await usage(['report', '--pair', 'en-ja', '--split', '../x'], /--split must be a split name/);
  await usage(['report', '--pair', 'en-ja', '--max-docs', 'x'], /--max-docs must be an integer/);
});

test('missing corpus or tokenizer files are errors naming the path', async () => {
  await cmd.run(['train', '--pair', 'en-ko', '--corpus', corpus, '--out', join(root, 'ko')]).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /corpus file not found: .*en-ko\/train\.en\.jsonl\.gz/),
  );
  await cmd
    .run(['report', '--pair', 'en-ja', '--tokenizer', join(root, 'none'), '--corpus', corpus, '--report', reportPath])
    .then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, /tokenizer file not found: .*none\/tokenizer\.json/),
    );
});

test('the registered command is named tokenizer', () => {
  assert.is(tokenizerCommand.name, 'tokenizer');
  assert.match(tokenizerCommand.usage, /saetrace tokenizer train --pair en-ja/);
});

test.run();
