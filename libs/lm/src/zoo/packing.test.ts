import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bilingualDocument, packWindows } from './packing.ts';
import { readDocuments, readParallel } from './corpus.ts';

test('packs BOS + doc + EOS streams into windows and drops the remainder', () => {
  const r = packWindows([[5, 6], [7], [8, 9, 10]], 4, 1, 2);
  // stream: 1 5 6 2 | 1 7 2 1 | 8 9 10 2  -> 12 tokens, 3 windows
  assert.is(r.count, 3);
  assert.is(r.tokens, 12);
  assert.equal(Array.from(r.windows), [1, 5, 6, 2, 1, 7, 2, 1, 8, 9, 10, 2]);
  assert.is(packWindows([[5]], 4, 1, 2).count, 0);
  assert.throws(() => packWindows([], 1, 1, 2), /seqLen must be/);
});

test('bilingual documents join both sides in either order', () => {
  assert.is(bilingualDocument('a', 'b', false), 'a\nb');
  assert.is(bilingualDocument('a', 'b', true), 'b\na');
});

test('reads corpus documents and pairs; malformed records are errors naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
  writeFileSync(
    join(dir, 'train.en.jsonl.gz'),
    gzipSync('{"id":"a","lang":"en","text":"hello","package":"p","licence":"GPL"}\n\n'),
  );
  writeFileSync(
    join(dir, 'parallel-dev.jsonl.gz'),
    gzipSync('{"id":"x","package":"p","licence":"GPL","text":{"en":"hi","ja":"やあ"}}\n'),
  );
  writeFileSync(join(dir, 'train.ja.jsonl.gz'), gzipSync('{"id":"b"}\n'));
  writeFileSync(join(dir, 'eval.ja.jsonl.gz'), gzipSync('not json\n'));
  const docs = [];
  for await (const d of readDocuments(dir, 'train', 'en')) docs.push(d);
  assert.equal(docs, [{ id: 'a', lang: 'en', text: 'hello', package: 'p', licence: 'GPL' }]);
  const pairs = [];
  for await (const p of readParallel(dir, 'dev')) pairs.push(p);
  assert.equal(pairs[0]?.text, { en: 'hi', ja: 'やあ' });
  const drain = async (it: AsyncGenerator<unknown>) => {
    for await (const _ of it) {
      /* consume */
    }
  };
  await drain(readDocuments(dir, 'train', 'ja')).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /train\.ja\.jsonl\.gz: record 1 lacks/),
  );
  await drain(readDocuments(dir, 'eval', 'ja')).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /eval\.ja\.jsonl\.gz:1: invalid JSON/),
  );
  await drain(readDocuments(dir, 'eval', 'en')).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /corpus file not found/),
  );
});

test.run();
