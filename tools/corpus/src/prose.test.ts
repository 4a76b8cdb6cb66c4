import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanCorpus } from './clean-corpus.ts';
import { langProfile } from './langs.ts';
import { proseText } from './prose.ts';

test('prose keeps sentences of the language and drops placeholders, options, labels and symbol rules', () => {
  const ja = langProfile('ja');
  const text = [
    '##### # フィルタ: %s # %s',
    '-n, --no-netrc[=true|false] netrc サポートを無効にします。これは長い説明の文です。',
    'AOV出力',
    'このプラグインは Geany にマクロを実装します。',
    'FILE1 -ef FILE2 FILE1 FILE2',
  ].join('\n');
  assert.is(
    proseText(text, ja),
    'netrc サポートを無効にします。これは長い説明の文です。\nこのプラグインは Geany にマクロを実装します。',
  );
  const en = langProfile('en');
  assert.is(
    proseText('Report a bug\nThe filter changes the contrast of every layer at once.\n<b>%d</b>', en),
    'The filter changes the contrast of every layer at once.',
  );
  assert.is(proseText('', ja), '');
});

test('cleanCorpus writes a verified copy, never over an existing directory, and refuses a damaged source', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'clean-')), 'en-ja');
  const report = await cleanCorpus('data/corpus/en-ja', out);
  const ja = report.find((f) => f.file === 'train.ja.jsonl.gz')!;
  assert.ok(ja.docs.after < ja.docs.before && ja.composition.after.own > ja.composition.before.own);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { prose: { version: number } };
  assert.is(m.prose.version, 1);
  assert.equal(
    readFileSync(join(out, 'parallel-test.jsonl.gz')),
    readFileSync('data/corpus/en-ja/parallel-test.jsonl.gz'),
  );
  await cleanCorpus('data/corpus/en-ja', out).then(
    () => assert.unreachable('wrote over a corpus'),
    (e: Error) => assert.match(e.message, /exists and is not empty/),
  );
  await cleanCorpus(join(tmpdir(), 'no-such-corpus'), join(out, 'x')).then(
    () => assert.unreachable('cleaned a missing corpus'),
    (e: Error) => assert.match(e.message, /no manifest/),
  );
});

test.run();
