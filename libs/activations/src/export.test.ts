import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TensorData } from '@saetrace/engine';
import * as engine from '@saetrace/engine';
import { engineSafetensorsWriter, exportSafetensors } from './export.ts';
import { extractActivations } from './extract.ts';
import { halfToFloats } from './half.ts';
import { ActivationStore } from './store.ts';
import { FakeTapModel } from './testing/fake-tap-model.ts';
import { fixtureDocs, writeFixtureDocs } from './testing/fixture-corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'act-export-'));
const corpusDir = join(root, 'corpus');
writeFixtureDocs(corpusDir, 'eval', 'en', fixtureDocs('en', 6, [70], 'abcdefg'));
writeFixtureDocs(corpusDir, 'eval', 'ja', fixtureDocs('ja', 6, [70], 'あいうえお'));
const res = await extractActivations({
  model: new FakeTapModel({ dModel: 6 }),
  layers: [2],
  corpusDir,
  split: 'eval',
  langs: ['en', 'ja'],
  tokensPerLang: 64 * 3,
  seed: 2,
  cacheDir: join(root, 'cache'),
  docsPerShard: 4,
});
const store = await ActivationStore.open(res.stores.get(2)!);

async function storeContents(): Promise<{
  x: Float32Array;
  tokenIds: number[];
  docIds: number[];
  positions: number[];
  langs: number[];
}> {
  const all = {
    x: [] as number[],
    tokenIds: [] as number[],
    docIds: [] as number[],
    positions: [] as number[],
    langs: [] as number[],
  };
  for (let i = 0; i < store.numShards; i++) {
    const s = await store.readShard(i);
    all.x.push(...s.x);
    all.tokenIds.push(...s.tokenIds);
    all.docIds.push(...s.docIds);
    all.positions.push(...s.positions);
    all.langs.push(...s.langs);
  }
  return { ...all, x: Float32Array.from(all.x) };
}

test('export hands the writer the whole store with shapes, dtypes and metadata', async () => {
  let got: { path: string; tensors: Record<string, TensorData>; metadata: Record<string, string> | undefined } | null =
    null;
  await exportSafetensors(store, '/x/out.safetensors', async (path, tensors, metadata) => {
    got = { path, tensors, metadata };
  });
  const g = got!;
  const want = await storeContents();
  assert.is(g.path, '/x/out.safetensors');
  assert.equal(g.tensors['activations']!.shape, [384, 6]);
  assert.is(g.tensors['activations']!.dtype, 'float32');
  assert.equal(g.tensors['activations']!.data, want.x);
  assert.equal(Array.from(g.tensors['token_ids']!.data as Int32Array), want.tokenIds);
  assert.equal(Array.from(g.tensors['doc_ids']!.data as Int32Array), want.docIds);
  assert.equal(Array.from(g.tensors['positions']!.data as Int32Array), want.positions);
  assert.equal(Array.from(g.tensors['langs']!.data as Int32Array), want.langs);
  assert.is(g.tensors['langs']!.dtype, 'int32');
  assert.is(g.metadata!['layer'], '2');
  assert.is(g.metadata!['langs'], 'en,ja');
  assert.is(g.metadata!['key'], store.manifest.key);
  assert.equal(JSON.parse(g.metadata!['doc_ids_table']!), store.docs.ids);
});

test('float16 export carries half bits of the same values', async () => {
  let act: TensorData | undefined;
  await exportSafetensors(
    store,
    'o',
    async (_p, t) => {
      act = t['activations'];
    },
    { dtype: 'float16' },
  );
  assert.is(act!.dtype, 'float16');
  const back = halfToFloats(act!.data as Uint16Array);
  const want = (await storeContents()).x;
  for (let i = 0; i < want.length; i += 7) assert.ok(Math.abs(back[i]! - want[i]!) < 1e-3);
});

// The file round trip needs the engine's safetensors writer and reader (libs/engine/src/safetensors).
const api = engine as unknown as Record<string, unknown>;
type Reader = (p: string) => Promise<{ tensors: Map<string, TensorData>; metadata: Record<string, string> }>;
if (typeof api['writeSafetensors'] === 'function' && typeof api['readSafetensors'] === 'function') {
  test('export round-trips through a safetensors file', async () => {
    const out = join(root, 'acts.safetensors');
    await exportSafetensors(store, out, await engineSafetensorsWriter());
    const { tensors, metadata } = await (api['readSafetensors'] as Reader)(out);
    const want = await storeContents();
    assert.equal(Array.from(tensors.get('activations')!.data as Float32Array), Array.from(want.x));
    assert.equal(Array.from(tensors.get('doc_ids')!.data as Int32Array), want.docIds);
    assert.equal(tensors.get('activations')!.shape, [384, 6]);
    assert.is(metadata['key'], store.manifest.key);
  });
} else {
  test('without the engine writer, export says what is missing', async () => {
    await engineSafetensorsWriter().then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, /does not export writeSafetensors/),
    );
  });
}

test.run();
