import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { heldOutBy, writeCorpus } from './build.ts';
import type { HarvestResult, PairRecord } from './harvest.ts';

const held = heldOutBy(50);
const sentences = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} describes one more real thing.`);
const heldOut = sentences.filter(held);
const kept = sentences.filter((s) => !held(s));

function pairOf(en: string, i: number, ja = `これは文 ${i} の訳です。`): PairRecord {
  return { id: `p/d/${i}`, package: 'p', licence: 'MIT', text: { en, ja } };
}

test('held-out pairs whose text occurs in a document or a training pair are dropped and counted', async () => {
  assert.ok(heldOut.length >= 3 && kept.length >= 1);
  const [inDoc, sameJa, clean] = heldOut as [string, string, string];
  const trainJa = 'この訳は学習用の対にもあります。';
  const pairs: PairRecord[] = [
    pairOf(inDoc, 0),
    pairOf(sameJa, 1, trainJa),
    pairOf(clean, 2),
    pairOf(kept[0] as string, 3, trainJa),
  ];
  const doc = {
    id: 'man/x#0',
    lang: 'en',
    text: `SYNOPSIS\n${inDoc.toUpperCase().replace(/ /g, '\n')}`,
    package: 'p',
    licence: 'MIT',
    source: 'man1/x.1',
    unit: 'doc:x',
  };
  const result: HarvestResult = { docs: [doc], pairs, sources: [], warnings: [] };
  const out = mkdtempSync(join(tmpdir(), 'build-'));
  const m = await writeCorpus(out, ['en', 'ja'], result, { heldOutPercent: 50, evalPercent: 50 });
  assert.is(m.parallel.heldOutSeen, 2);
  assert.is(m.parallel.train, 1);
  const heldLines = ['parallel-dev.jsonl.gz', 'parallel-test.jsonl.gz']
    .flatMap((f) =>
      gunzipSync(readFileSync(join(out, f)))
        .toString('utf8')
        .split('\n')
        .filter(Boolean),
    )
    .map((l) => (JSON.parse(l) as PairRecord).text.en);
  assert.equal(heldLines, [clean]);
  assert.is(m.parallel.dev + m.parallel.test, 1);
});

test.run();
