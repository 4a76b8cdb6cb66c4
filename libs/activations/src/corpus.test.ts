import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { corpusFile, readCorpusDocs, sha256File } from './corpus.ts';
import { writeFixtureDocs } from './testing/fixture-corpus.ts';

const dir = mkdtempSync(join(tmpdir(), 'act-corpus-'));

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected a rejection');
}

test('reads documents in file order', async () => {
  writeFixtureDocs(dir, 'train', 'en', [
    { id: 'a', text: 'hello' },
    { id: 'b', text: 'world' },
  ]);
  const docs = await readCorpusDocs(corpusFile(dir, 'train', 'en'), 'en');
  assert.equal(docs, [
    { id: 'a', lang: 'en', text: 'hello' },
    { id: 'b', lang: 'en', text: 'world' },
  ]);
  assert.match(await sha256File(corpusFile(dir, 'train', 'en')), /^[0-9a-f]{64}$/);
});

test('bad lines name file and line', async () => {
  const p = join(dir, 'bad.jsonl.gz');
  const good = JSON.stringify({ id: 'a', lang: 'en', text: 'x' });
  writeFileSync(p, gzipSync(`${good}\n{oops\n`));
  await rejects(readCorpusDocs(p, 'en'), /bad\.jsonl\.gz:2: invalid JSON/);
  writeFileSync(p, gzipSync(`${good}\n\n${JSON.stringify({ id: 'b', lang: 'ja', text: 'x' })}\n`));
  await rejects(readCorpusDocs(p, 'en'), /bad\.jsonl\.gz:3: key 'lang' is 'ja', expected 'en'/);
  writeFileSync(p, gzipSync(`${JSON.stringify({ id: 1, lang: 'en', text: 'x' })}\n`));
  await rejects(readCorpusDocs(p, 'en'), /:1: key 'id' must be a string/);
  writeFileSync(p, gzipSync('[1,2]\n'));
  await rejects(readCorpusDocs(p, 'en'), /:1: expected a JSON object/);
  writeFileSync(p, 'not gzip');
  await rejects(readCorpusDocs(p, 'en'), /bad\.jsonl\.gz: cannot read gzip corpus file/);
  await rejects(readCorpusDocs(join(dir, 'missing.jsonl.gz'), 'en'), /missing\.jsonl\.gz: cannot read/);
});

test.run();
