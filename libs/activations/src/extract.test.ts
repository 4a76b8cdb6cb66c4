import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { extractActivations, type ExtractRequest } from './extract.ts';
import { ActivationStore } from './store.ts';
import { FakeTapModel } from './testing/fake-tap-model.ts';
import { fixtureDocs, writeFixtureDocs } from './testing/fixture-corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'act-extract-'));
const corpusDir = join(root, 'corpus');
writeFixtureDocs(corpusDir, 'train', 'en', fixtureDocs('en', 30, [70, 40, 100, 64, 90], 'abcdefghijklmnopqrstuvwxyz '));
writeFixtureDocs(corpusDir, 'train', 'ja', fixtureDocs('ja', 24, [65, 30, 80], 'あいうえおかきくけこさしすせそ'));

let n = 0;
function request(model: FakeTapModel, over: Partial<ExtractRequest> = {}): ExtractRequest {
  return {
    model,
    layers: [1, 3],
    corpusDir,
    split: 'train',
    langs: ['en', 'ja'],
    tokensPerLang: 64 * 10,
    seed: 5,
    cacheDir: join(root, `cache${n++}`),
    docsPerShard: 6,
    batchDocs: 4,
    ...over,
  };
}

/** A pid no process has now: a child's, after it exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid as number;
}

function storeFiles(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}

test('one forward pass per batch serves every layer; windows, balance, unit norm', async () => {
  const model = new FakeTapModel();
  const res = await extractActivations(request(model));
  assert.is(res.docsPerLang, 10);
  assert.is(res.tokensPerLangStored, 640);
  assert.is(res.forwardCalls, 7); // shards of 6,6,6,2 docs in batches of 4
  assert.is(model.calls, 7);
  assert.is(model.windows, 20);
  assert.is(res.shardsWritten, 8);
  assert.equal(res.cachedLayers, []);
  for (const layer of [1, 3]) {
    const store = await ActivationStore.open(res.stores.get(layer)!);
    assert.is(store.layer, layer);
    assert.is(store.rows, 20 * 64);
    assert.is(store.numShards, 4);
    assert.equal(store.langs, ['en', 'ja']);
    let rows = 0;
    const perLang = [0, 0];
    for (let s = 0; s < store.numShards; s++) {
      const sh = await store.readShard(s);
      for (let r = 0; r < sh.rows; r++) {
        let ss = 0;
        for (let j = 0; j < sh.d; j++) ss += sh.x[r * sh.d + j]! ** 2;
        assert.ok(Math.abs(ss - 1) < 1e-5, `row ${r} norm^2 ${ss}`);
        assert.is(sh.positions[r], r % 64);
        assert.is.not(sh.tokenIds[r], model.bosId);
        perLang[sh.langs[r]!]!++;
        assert.is(store.docs.langs[sh.docIds[r]!], sh.langs[r]);
      }
      rows += sh.rows;
    }
    assert.is(rows, 1280);
    assert.equal(perLang, [640, 640]);
  }
});

test('stored rows equal the model output after BOS, normalised', async () => {
  const model = new FakeTapModel();
  const res = await extractActivations(request(model, { layers: [2] }));
  const store = await ActivationStore.open(res.stores.get(2)!);
  const sh = await store.readShard(1);
  const doc = sh.docIds[0]!;
  const text = (await import('./corpus.ts')).readCorpusDocs;
  const lang = store.langs[store.docs.langs[doc]!]!;
  const docs = await text(join(corpusDir, `train.${lang}.jsonl.gz`), lang);
  const toks = (await model.encode(docs.find((d) => d.id === store.docs.ids[doc])!.text)).slice(0, 64);
  assert.equal(Array.from(sh.tokenIds.subarray(0, 64)), toks);
  const h = (await model.tap(Int32Array.from([1, ...toks]), 1, 65, [2])).get(2)!;
  const d = model.dModel;
  const p = 5;
  const v = h.subarray((p + 1) * d, (p + 2) * d);
  const norm = Math.hypot(...v);
  for (let j = 0; j < d; j++) assert.ok(Math.abs(sh.x[p * d + j]! - v[j]! / norm) < 1e-6);
});

test('a repeat request is a cache hit with no forward call; a new layer computes only itself', async () => {
  const cacheDir = join(root, 'shared-cache');
  const first = new FakeTapModel();
  await extractActivations(request(first, { cacheDir }));
  const again = new FakeTapModel();
  const hit = await extractActivations(request(again, { cacheDir }));
  assert.is(again.calls, 0);
  assert.is(hit.forwardCalls, 0);
  assert.equal(hit.cachedLayers, [1, 3]);
  assert.is(hit.docsPerLang, 10);
  const more = new FakeTapModel();
  const part = await extractActivations(request(more, { cacheDir, layers: [1, 0] }));
  assert.equal(part.cachedLayers, [1]);
  assert.is(part.forwardCalls, 7);
  assert.is(part.shardsWritten, 4);
});

test('a changed input never reuses a store: model, corpus, seed, budget, dtype', async () => {
  const cacheDir = join(root, 'keyed');
  const base = await extractActivations(request(new FakeTapModel(), { cacheDir, layers: [1] }));
  const dirs = new Set([base.stores.get(1)]);
  const variants: Partial<ExtractRequest>[] = [
    { model: new FakeTapModel({ variant: 1 }) },
    { seed: 6 },
    { tokensPerLang: 64 * 9 },
    { dtype: 'float16' },
    { docsPerShard: 5 },
  ];
  for (const v of variants) {
    const m = (v.model as FakeTapModel | undefined) ?? new FakeTapModel();
    const r = await extractActivations(request(m, { cacheDir, layers: [1], ...v }));
    assert.ok(m.calls > 0, `variant ${JSON.stringify(Object.keys(v))} should recompute`);
    dirs.add(r.stores.get(1));
  }
  assert.is(dirs.size, variants.length + 1);
  // A corpus file edited in place changes the key too.
  const cdir = join(root, 'corpus-edit');
  writeFixtureDocs(cdir, 'train', 'en', fixtureDocs('en', 12, [70], 'abc'));
  writeFixtureDocs(cdir, 'train', 'ja', fixtureDocs('ja', 12, [70], 'あいう'));
  const a = await extractActivations(
    request(new FakeTapModel(), { cacheDir, corpusDir: cdir, layers: [1], tokensPerLang: 128 }),
  );
  writeFixtureDocs(cdir, 'train', 'ja', fixtureDocs('ja', 12, [70], 'えおか'));
  const m = new FakeTapModel();
  const b = await extractActivations(request(m, { cacheDir, corpusDir: cdir, layers: [1], tokensPerLang: 128 }));
  assert.ok(m.calls > 0);
  assert.is.not(a.stores.get(1), b.stores.get(1));
});

test('same seed gives the same bytes; float16 stores too', async () => {
  for (const dtype of ['float32', 'float16'] as const) {
    const a = await extractActivations(request(new FakeTapModel(), { dtype, batchDocs: 4 }));
    const b = await extractActivations(request(new FakeTapModel(), { dtype, batchDocs: 7 }));
    for (const l of [1, 3]) assert.equal(storeFiles(b.stores.get(l)!), storeFiles(a.stores.get(l)!));
  }
});

test('an interrupted extraction resumes from its complete shards and ends byte-identical', async () => {
  const cacheDir = join(root, 'resume');
  // docsPerShard = batchDocs, so call k writes shard k-1; fail on the 3rd call: shards 0 and 1 are complete.
  const opts = { cacheDir, docsPerShard: 4, batchDocs: 4 };
  const failing = new FakeTapModel({ failOnCall: 3 });
  await extractActivations(request(failing, opts)).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /simulated failure/),
  );
  const dir1 = (
    await extractActivations(request(new FakeTapModel(), { ...opts, cacheDir: join(root, 'probe'), layers: [1] }))
  ).stores.get(1)!;
  const storeName = dir1.split('/').pop()!;
  assert.not.ok(existsSync(join(cacheDir, storeName, 'manifest.json')));
  assert.ok(existsSync(join(cacheDir, storeName, 'shard-00001.bin')));
  // Damage shard 1 of layer 3: it must be recomputed, not trusted.
  const l3 = readdirSync(cacheDir).find((d) => d.startsWith('L3-'))!;
  truncateSync(join(cacheDir, l3, 'shard-00001.bin'), 50);
  // Half a shard left by a process that is gone (pid of a child that has exited): removed; the running
  // process's own temp names carry its pid (test below: another live process's are left alone).
  writeFileSync(join(cacheDir, l3, `shard-00002.bin.${deadPid()}.abcd0123.tmp`), 'half a shard');
  const resumed = new FakeTapModel();
  const res = await extractActivations(request(resumed, opts));
  assert.is(res.shardsResumed, 3);
  assert.is(res.forwardCalls, 4); // shard 1 (layer 3 only) + shards 2, 3, 4
  assert.is(res.shardsWritten, 7);
  const clean = await extractActivations(request(new FakeTapModel(), { ...opts, cacheDir: join(root, 'clean') }));
  for (const l of [1, 3]) assert.equal(storeFiles(res.stores.get(l)!), storeFiles(clean.stores.get(l)!));
  assert.not.ok(readdirSync(join(cacheDir, l3)).some((f) => f.endsWith('.tmp')));
});

test('a stale document table from other inputs is replaced, never mixed', async () => {
  const cacheDir = join(root, 'stale');
  const r = await extractActivations(request(new FakeTapModel(), { cacheDir, layers: [1] }));
  const dir = r.stores.get(1)!;
  const docs = JSON.parse(readFileSync(join(dir, 'docs.json'), 'utf8')) as { key: string };
  rmSync(join(dir, 'manifest.json'));
  writeFileSync(join(dir, 'docs.json'), JSON.stringify({ ...docs, key: 'other' }));
  const m = new FakeTapModel();
  const again = await extractActivations(request(m, { cacheDir, layers: [1] }));
  assert.is(again.shardsResumed, 0);
  assert.is(m.calls, 7);
  await ActivationStore.open(dir);
});

test('bad requests fail clearly', async () => {
  const m = new FakeTapModel();
  const rej = async (over: Partial<ExtractRequest>, re: RegExp): Promise<void> => {
    await extractActivations(request(m, over)).then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, re),
    );
  };
  await rej({ layers: [] }, /layers is empty/);
  await rej({ layers: [5] }, /layer 5 is not a site in \[0, 4\]/);
  await rej({ layers: [1, 1] }, /layers repeat/);
  await rej({ langs: [] }, /langs must name/);
  await rej({ batchDocs: 0 }, /batchDocs must be a positive integer/);
  await rej({ split: 'eval' }, /eval\.en\.jsonl\.gz: cannot read corpus file \(ENOENT\)/);
  const short = join(root, 'short');
  writeFixtureDocs(short, 'train', 'en', fixtureDocs('en', 3, [70], 'ab'));
  writeFixtureDocs(short, 'train', 'ja', fixtureDocs('ja', 3, [20], 'あい'));
  await rej({ corpusDir: short }, /no document of at least 64 tokens in every language/);
  const broken = new FakeTapModel();
  broken.tap = async () => new Map([[1, new Float32Array(3)]]);
  await extractActivations(request(broken)).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /model\.tap returned 3 values for layer 1/),
  );
  assert.is(m.calls, 0);
});

test("two extractions into one cache: a live process's temp files are its work in progress and are never removed", async () => {
  const cacheDir = join(root, 'shared');
  const first = await extractActivations(request(new FakeTapModel(), { cacheDir, layers: [1] }));
  const dir = first.stores.get(1)!;
  rmSync(join(dir, 'manifest.json'));
  // Another extraction (the parent process stands for it: alive, not this one) is writing shard 2.
  const theirs = `shard-00002.bin.${process.ppid}.0123abcd.tmp`;
  writeFileSync(join(dir, theirs), 'their half-written shard');
  const stale = `shard-00003.bin.${deadPid()}.89abcdef.tmp`;
  writeFileSync(join(dir, stale), 'left by a killed run');
  await extractActivations(request(new FakeTapModel(), { cacheDir, layers: [1] }));
  const files = readdirSync(dir);
  assert.ok(files.includes(theirs), "another live process's temp file was deleted");
  assert.not.ok(files.includes(stale), "a dead process's temp file was kept");
});

test('a non-finite activation is an error at extraction naming the checkpoint, layer and document', async () => {
  const m = new FakeTapModel();
  const tap = m.tap.bind(m);
  m.tap = async (tokens, batch, seqLen, layers) => {
    const out = await tap(tokens, batch, seqLen, layers);
    if (m.calls === 2) (out.get(3) as Float32Array)[(1 * seqLen + 5) * m.dModel + 2] = NaN;
    return out;
  };
  Object.assign(m, { source: 'ckpt/step-000017' });
  const cacheDir = join(root, 'nan');
  const err = await extractActivations(request(m, { cacheDir })).then(
    () => null,
    (e: Error) => e,
  );
  assert.match(
    err?.message ?? 'no error',
    /^ckpt\/step-000017: layer 3 gives the non-finite activation NaN on document '[^']+' \((en|ja)\) at token 5 of its window, dimension 2;/,
  );
});

test('a failed extraction leaves no empty cache directory behind; one with complete shards keeps them', async () => {
  const cacheDir = join(root, 'fails-early');
  await extractActivations(request(new FakeTapModel({ failOnCall: 1 }), { cacheDir })).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /simulated failure/),
  );
  assert.not.ok(existsSync(cacheDir), `left behind: ${existsSync(cacheDir) ? readdirSync(cacheDir).join(', ') : ''}`);
  const later = join(root, 'fails-later');
  await extractActivations(
    request(new FakeTapModel({ failOnCall: 3 }), { cacheDir: later, docsPerShard: 4, batchDocs: 4 }),
  ).then(
    () => assert.unreachable(),
    () => {},
  );
  assert.is(readdirSync(later).length, 2, 'both layers keep their complete shards for resumption');
});

test.run();
