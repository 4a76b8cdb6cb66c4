import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractActivations } from './extract.ts';
import { ActivationStore, splitByDocument, type ActivationBatch } from './store.ts';
import { ShardError } from './shard.ts';
import { FakeTapModel } from './testing/fake-tap-model.ts';
import { fixtureDocs, writeFixtureDocs } from './testing/fixture-corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'act-store-'));
const corpusDir = join(root, 'corpus');
writeFixtureDocs(corpusDir, 'train', 'en', fixtureDocs('en', 12, [70, 90], 'abcdefghij'));
writeFixtureDocs(corpusDir, 'train', 'ja', fixtureDocs('ja', 12, [66, 80], 'あいうえおかき'));

async function makeStore(cacheDir: string): Promise<string> {
  const res = await extractActivations({
    model: new FakeTapModel({ dModel: 4 }),
    layers: [0],
    corpusDir,
    split: 'train',
    langs: ['en', 'ja'],
    tokensPerLang: 64 * 5,
    seed: 1,
    cacheDir,
    docsPerShard: 3,
    batchDocs: 3,
  });
  return res.stores.get(0)!;
}
const dir = await makeStore(join(root, 'cache'));

async function collect(it: AsyncIterable<ActivationBatch>): Promise<ActivationBatch[]> {
  const out: ActivationBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

/** One string per row, identifying it by document, position and first value. */
function rowKeys(bs: ActivationBatch[]): string[] {
  return bs.flatMap((b) =>
    Array.from({ length: b.rows }, (_, r) => `${b.docIds[r]}:${b.positions[r]}:${b.x[r * b.d]}`),
  );
}

test('in-order batches cover every row once, in stored order, with metadata', async () => {
  const store = await ActivationStore.open(dir);
  assert.is(store.rows, 640);
  const bs = await collect(store.batches({ batchRows: 100 }));
  assert.equal(
    bs.map((b) => b.rows),
    [100, 100, 100, 100, 100, 100, 40],
  );
  assert.is(bs[0]!.x.length, 400);
  assert.equal(Array.from(bs[0]!.positions.subarray(0, 3)), [0, 1, 2]);
  assert.is(bs[0]!.docIds[64], 1);
  const keys = rowKeys(bs);
  assert.is(new Set(keys).size, 640);
  const first = await store.readShard(0);
  assert.equal(bs[0]!.x.subarray(0, 100 * 4), first.x.subarray(0, 100 * 4));
  assert.equal(bs[0]!.langs.subarray(0, 100), first.langs.subarray(0, 100));
  assert.equal(bs[0]!.tokenIds.subarray(0, 100), first.tokenIds.subarray(0, 100));
  const dropped = await collect(store.batches({ batchRows: 100, dropLast: true }));
  assert.is(dropped.length, 6);
});

test('shuffled batches are a seeded permutation of the rows', async () => {
  const store = await ActivationStore.open(dir);
  const inOrder = rowKeys(await collect(store.batches({ batchRows: 64 })));
  const a = rowKeys(await collect(store.batches({ batchRows: 64, seed: 3 })));
  const b = rowKeys(await collect(store.batches({ batchRows: 64, seed: 3 })));
  const c = rowKeys(await collect(store.batches({ batchRows: 64, seed: 4 })));
  assert.equal(a, b);
  assert.not.equal(a, inOrder);
  assert.not.equal(a, c);
  assert.equal([...a].sort(), [...inOrder].sort());
  // Mixing two shards at a time: still a permutation, and a first batch drawn from more than one shard.
  const mixed = await collect(store.batches({ batchRows: 64, seed: 3, shardsInMemory: 2 }));
  assert.equal([...rowKeys(mixed)].sort(), [...inOrder].sort());
  const shardOf = (doc: number): number => Math.floor(doc / 3);
  assert.ok(new Set(Array.from(mixed[0]!.docIds, shardOf)).size === 2);
  await collect(store.batches({ batchRows: 1, shardsInMemory: 0 })).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /shardsInMemory must be a positive integer/),
  );
});

test('retainShards: the same batches, every shard read from disk once, later passes from memory', async () => {
  const copyDir = await makeStore(join(root, 'cache-retained'));
  const plain = await ActivationStore.open(copyDir);
  const kept = await ActivationStore.open(copyDir, { retainShards: true });
  const opts = { batchRows: 50, seed: 'e0', shardsInMemory: 2 };
  const want = await collect(plain.batches(opts));
  const first = await collect(kept.batches(opts));
  assert.equal(
    first.map((b) => Array.from(b.x)),
    want.map((b) => Array.from(b.x)),
  );
  assert.equal(rowKeys(first), rowKeys(want));
  // With the files gone, the retaining store still serves every pass; the plain one cannot.
  const files = kept.manifest.shards.map((e) => join(copyDir, e.file));
  for (const f of files) rmSync(f);
  const again = await collect(kept.batches({ ...opts, seed: 'e1' }));
  assert.equal([...rowKeys(again)].sort(), [...rowKeys(want)].sort());
  assert.is(await kept.readShard(0), await kept.readShard(0));
  await collect(plain.batches(opts)).then(
    () => assert.unreachable(),
    (e: Error) => assert.instance(e, ShardError),
  );
});

test('splitByDocument: disjoint, complete, balanced per language, and the reader honours it', async () => {
  const store = await ActivationStore.open(dir);
  const sp = splitByDocument(store.docs, 0.4, 9);
  assert.is(sp.valDocs, 4);
  assert.is(sp.trainDocs, 6);
  for (let i = 0; i < 10; i++) assert.is(sp.train[i]! + sp.val[i]!, 1);
  const valLangs = store.docs.langs.filter((_, i) => sp.val[i] === 1);
  assert.equal(valLangs.filter((l) => l === 0).length, 2);
  const val = await collect(store.batches({ batchRows: 50, docMask: sp.val, seed: 1 }));
  const rows = val.reduce((n, b) => n + b.rows, 0);
  assert.is(rows, 4 * 64);
  for (const b of val) for (const doc of b.docIds) assert.is(sp.val[doc], 1);
  assert.equal(splitByDocument(store.docs, 0.4, 9), sp);
  assert.throws(() => splitByDocument(store.docs, 1.5, 9), /valFraction must be in \[0, 1\]/);
});

test('reader errors: corrupt or truncated shard names it; bad options; incomplete store', async () => {
  const copy = await makeStore(join(root, 'damaged'));
  const store = await ActivationStore.open(copy);
  const p = join(copy, 'shard-00002.bin');
  const bytes = readFileSync(p);
  bytes[bytes.length - 1]! ^= 1;
  writeFileSync(p, bytes);
  try {
    await store.verify();
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ShardError);
    assert.match((err as Error).message, /shard-00002\.bin: checksum mismatch/);
  }
  writeFileSync(p, bytes.subarray(0, 200));
  await collect(store.batches({ batchRows: 10 })).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /shard-00002\.bin: truncated/),
  );
  await store.readShard(9).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /shard 9 outside \[0, 4\)/),
  );
  await collect(store.batches({ batchRows: 0 })).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /batchRows must be a positive integer/),
  );
  await collect(store.batches({ batchRows: 1, docMask: new Uint8Array(3) })).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /docMask has 3 entries/),
  );
  writeFileSync(join(copy, 'manifest.json'), '{"format": "saetrace-activations/2"}');
  await ActivationStore.open(copy).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /manifest\.json: malformed manifest/),
  );
  writeFileSync(join(copy, 'manifest.json'), '{"format": "other"}');
  await ActivationStore.open(copy).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /format 'other'/),
  );
  writeFileSync(join(copy, 'manifest.json'), '{');
  await ActivationStore.open(copy).then(
    () => assert.unreachable(),
    (e: Error) =>
      assert.match(
        e.message,
        /manifest\.json: is not valid JSON at line \d+, column \d+ .*; delete .* \(the activation store is extracted again\)/,
      ),
  );
  rmSync(join(copy, 'manifest.json'));
  await ActivationStore.open(copy).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /manifest\.json missing/),
  );
  const other = await makeStore(join(root, 'nodocs'));
  writeFileSync(join(other, 'docs.json'), '{"key": "x", "ids": [], "langs": []}');
  await ActivationStore.open(other).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /docs\.json: missing or does not belong/),
  );
  writeFileSync(join(other, 'docs.json'), '{"key": "x"}');
  await ActivationStore.open(other).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /docs\.json: malformed document table/),
  );
});

test.run();
