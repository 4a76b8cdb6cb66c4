import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floatToBf16, floatToHalf, halfToFloat } from './dtype.ts';
import { openSafetensors, readCheckpointTensors, readSafetensors, SafetensorsError } from './read.ts';
import { writeSafetensors, writeShardedSafetensors } from './write.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'st-'));

/** A file as another writer would make it: header JSON then raw bytes. */
function rawFile(path: string, header: unknown, data: Uint8Array): void {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(path, Buffer.concat([len, h, Buffer.from(data)]));
}

test('round-trips f32, int64, int32 and metadata; same tensors give the same bytes', async () => {
  const dir = tmp();
  const tensors = {
    w: { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-3, 7]) },
    ids: { dtype: 'int64' as const, shape: [2], data: BigInt64Array.from([5n, -1n]) },
    pos: { dtype: 'int32' as const, shape: [3], data: Int32Array.from([0, 1, 2]) },
  };
  await writeSafetensors(join(dir, 'a.safetensors'), tensors, { format: 'pt' });
  await writeSafetensors(join(dir, 'b.safetensors'), tensors, { format: 'pt' });
  assert.ok(readFileSync(join(dir, 'a.safetensors')).equals(readFileSync(join(dir, 'b.safetensors'))));
  const { tensors: back, metadata } = await readSafetensors(join(dir, 'a.safetensors'));
  assert.equal(metadata, { format: 'pt' });
  assert.equal(Array.from(back.get('w')!.data as Float32Array), Array.from(tensors.w.data));
  assert.equal(back.get('w')!.shape, [2, 3]);
  assert.equal(Array.from(back.get('ids')!.data as BigInt64Array), [5n, -1n]);
  assert.equal(Array.from(back.get('pos')!.data as Int32Array), [0, 1, 2]);
  // Data starts 8-byte aligned.
  const hlen = Number(readFileSync(join(dir, 'a.safetensors')).readBigUInt64LE(0));
  assert.is((8 + hlen) % 8, 0);
});

test('reads F16 and BF16 (as float32) written by another tool', async () => {
  const dir = tmp();
  const half = Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]); // 1, -2, ~0.333, min subnormal, inf
  const bf = Uint16Array.from([0x3f80, 0xc0a0, 0x4049]); // 1, -5, ~3.14
  const bytes = new Uint8Array(half.byteLength + bf.byteLength);
  bytes.set(new Uint8Array(half.buffer), 0);
  bytes.set(new Uint8Array(bf.buffer), half.byteLength);
  rawFile(
    join(dir, 'h.safetensors'),
    {
      h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
      b: { dtype: 'BF16', shape: [3], data_offsets: [10, 16] },
    },
    bytes,
  );
  const { tensors } = await readSafetensors(join(dir, 'h.safetensors'));
  const h = Array.from(tensors.get('h')!.data as Float32Array);
  assert.is(h[0], 1);
  assert.is(h[1], -2);
  assert.ok(Math.abs((h[2] as number) - 1 / 3) < 1e-3);
  assert.is(h[3], 2 ** -24);
  assert.is(h[4], Infinity);
  const b = Array.from(tensors.get('b')!.data as Float32Array);
  assert.is(b[0], 1);
  assert.is(b[1], -5);
  assert.ok(Math.abs((b[2] as number) - 3.140625) < 1e-6);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('sharded checkpoints: index plus shards, read back whole or filtered', async () => {
  const dir = tmp();
  const t = (v: number) => ({ dtype: 'float32' as const, shape: [4], data: new Float32Array(4).fill(v) });
  const files = await writeShardedSafetensors(dir, { a: t(1), b: t(2), c: t(3) }, 32);
  assert.is(files.length, 2);
  const all = await readCheckpointTensors(dir);
  assert.equal([...all.keys()].sort(), ['a', 'b', 'c']);
  assert.is((all.get('c')!.data as Float32Array)[0], 3);
  const some = await readCheckpointTensors(dir, (n) => n === 'b');
  assert.equal([...some.keys()], ['b']);
  const single = tmp();
  await writeSafetensors(join(single, 'model.safetensors'), { x: t(9) });
  assert.is(((await readCheckpointTensors(single)).get('x')!.data as Float32Array)[0], 9);
});

test('malformed, inconsistent and truncated files are errors naming the file and tensor', async () => {
  const dir = tmp();
  const expectErr = async (p: Promise<unknown>, re: RegExp) => {
    await p.then(
      () => assert.unreachable('should fail'),
      (e: Error) => {
        assert.instance(e, SafetensorsError);
        assert.match(e.message, re);
      },
    );
  };
  writeFileSync(join(dir, 'short'), Buffer.from([1, 2]));
  await expectErr(openSafetensors(join(dir, 'short')), /short: file is truncated: 2 bytes/);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(1000n);
  writeFileSync(join(dir, 'hdr'), Buffer.concat([len, Buffer.from('{}')]));
  await expectErr(openSafetensors(join(dir, 'hdr')), /hdr: file is truncated: header needs 1000 bytes/);
  rawFile(join(dir, 'json'), 'x', new Uint8Array());
  writeFileSync(join(dir, 'badjson'), Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x]')]));
  await expectErr(openSafetensors(join(dir, 'badjson')), /header is not valid JSON/);
  await expectErr(openSafetensors(join(dir, 'json')), /header is not a JSON object/);
  rawFile(join(dir, 'shape'), { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(12));
  await expectErr(
    openSafetensors(join(dir, 'shape')),
    /\(tensor 'w'\): shape \[2,2\] of F32 needs 16 bytes but data_offsets span 12/,
  );
  rawFile(join(dir, 'trunc'), { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8));
  await expectErr(openSafetensors(join(dir, 'trunc')), /\(tensor 'w'\): file is truncated/);
  rawFile(join(dir, 'dtype'), { w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
  await expectErr(openSafetensors(join(dir, 'dtype')), /unsupported dtype "C64"/);
  rawFile(join(dir, 'offs'), { w: { dtype: 'F32', shape: [1], data_offsets: [4] } }, new Uint8Array(8));
  await expectErr(openSafetensors(join(dir, 'offs')), /data_offsets \[4\] are not/);
  rawFile(join(dir, 'neg'), { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4));
  await expectErr(openSafetensors(join(dir, 'neg')), /is not a list of non-negative integers/);
  rawFile(join(dir, 'meta'), { __metadata__: { a: 1 } }, new Uint8Array());
  await expectErr(openSafetensors(join(dir, 'meta')), /__metadata__.a is not a string/);
  await expectErr(openSafetensors(join(dir, 'missing')), /missing: cannot open \(ENOENT\)/);
  rawFile(join(dir, 'ok'), { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
  const f = await openSafetensors(join(dir, 'ok'));
  await expectErr(f.read('nope'), /\(tensor 'nope'\): no such tensor/);
  await f.close();
  await expectErr(readCheckpointTensors(join(dir, 'none')), /neither model.safetensors nor/);
  const idx = tmp();
  writeFileSync(join(idx, 'model.safetensors.index.json'), '{"weight_map": {"a": "../x.safetensors"}}');
  await expectErr(readCheckpointTensors(idx), /invalid shard/);
  writeFileSync(join(idx, 'model.safetensors.index.json'), '{"nothing": 1}');
  await expectErr(readCheckpointTensors(idx), /has no weight_map/);
  writeFileSync(join(idx, 'model.safetensors.index.json'), '{oops');
  await expectErr(readCheckpointTensors(idx), /not valid JSON/);
  await writeSafetensors(join(idx, 's.safetensors'), {
    a: { dtype: 'float32', shape: [1], data: new Float32Array(1) },
  });
  writeFileSync(join(idx, 'model.safetensors.index.json'), '{"weight_map": {"b": "s.safetensors"}}');
  await expectErr(readCheckpointTensors(idx), /\(tensor 'b'\): listed in the index but absent/);
  await writeSafetensors(join(dir, 'bad'), { w: { dtype: 'float32', shape: [3], data: new Float32Array(2) } }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /tensor 'w' has 2 elements for shape \[3\]/),
  );
});

test('float32 to F16 and BF16: every half round-trips, others go to the nearest (ties to even)', () => {
  const bf = (b: number) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!;
  for (let h = 0; h < 0x10000; h++) {
    const f = halfToFloat(h);
    if (Number.isNaN(f)) {
      assert.ok(Number.isNaN(halfToFloat(floatToHalf(f))));
      continue;
    }
    assert.is(floatToHalf(f), h, `half 0x${h.toString(16)}`);
    assert.is(floatToBf16(bf(h)), h);
  }
  assert.is(floatToHalf(65520), 0x7c00); // past the largest half: infinity
  assert.is(floatToHalf(1e-9), 0); // below half the smallest subnormal
  assert.is(floatToHalf(1 + 2 ** -11), 0x3c00); // tie between 1 and 1+2^-10: even (1)
  assert.is(floatToHalf(1 + 3 * 2 ** -11), 0x3c02); // tie: even (1 + 2^-9)
  assert.is(floatToHalf(1.5 * 2 ** -24), 0x0002); // subnormal tie: even
  assert.is(floatToHalf(-(1 + 2 ** -10 + 2 ** -12)), 0xbc01);
  assert.is(floatToBf16(1 + 2 ** -8), 0x3f80); // tie: even
  assert.is(floatToBf16(1 + 3 * 2 ** -8), 0x3f82);
  assert.is(floatToBf16(Infinity), 0x7f80);
  assert.ok(Number.isNaN(bf(floatToBf16(NaN))));
  const rng = (i: number) => (Math.sin(i * 12.9898) * 43758.5453) % 4;
  for (let i = 1; i <= 2000; i++) {
    const x = Math.fround(rng(i)); // never 0, whose neighbour below is another sign
    const h = floatToHalf(x);
    const err = Math.abs(halfToFloat(h) - x);
    assert.ok(
      err <= Math.abs(halfToFloat(h + 1) - x) && err <= Math.abs(halfToFloat(h - 1) - x),
      `nearest half to ${x}`,
    );
  }
});

test('writing float32 tensors as BF16 or F16 (sharded too) halves the data and reads back rounded', async () => {
  const dir = tmp();
  const w = { dtype: 'float32' as const, shape: [4], data: Float32Array.from([1, -2.5, 3.140625, 1 / 3]) };
  const ids = { dtype: 'int32' as const, shape: [2], data: Int32Array.from([7, 8]) };
  await writeSafetensors(join(dir, 'bf.safetensors'), { w, ids }, undefined, { floatFormat: 'BF16' });
  const f = await openSafetensors(join(dir, 'bf.safetensors'));
  assert.is(f.entries.get('w')!.dtype, 'BF16');
  assert.is(f.entries.get('ids')!.dtype, 'I32');
  const back = Array.from((await f.read('w')).data as Float32Array);
  await f.close();
  assert.equal(back.slice(0, 3), [1, -2.5, 3.140625]);
  assert.ok(Math.abs(back[3]! - 1 / 3) < 2 ** -8 && back[3] !== Math.fround(1 / 3));
  await writeSafetensors(join(dir, 'h.safetensors'), { w }, undefined, { floatFormat: 'F16' });
  const h = (await readSafetensors(join(dir, 'h.safetensors'))).tensors.get('w')!.data as Float32Array;
  assert.ok(Math.abs(h[3]! - 1 / 3) < 2 ** -11);
  const t = (v: number) => ({ dtype: 'float32' as const, shape: [4], data: new Float32Array(4).fill(v) });
  // 8 bytes per BF16 tensor: a 16-byte limit fits two tensors per shard (it would fit one as float32).
  const files = await writeShardedSafetensors(join(dir, 'sh'), { a: t(1), b: t(2), c: t(3) }, 16, undefined, {
    floatFormat: 'BF16',
  });
  assert.is(files.length, 2);
  assert.is(((await readCheckpointTensors(join(dir, 'sh'))).get('c')!.data as Float32Array)[3], 3);
});

test('byte ranges must tile the data region: overlaps, holes and trailing bytes name the file and tensors', async () => {
  const dir = tmp();
  const f = (n: string) => join(dir, n);
  // a [0,8) and b [4,12): b aliases half of a's bytes.
  rawFile(
    f('overlap.safetensors'),
    { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
    new Uint8Array(12),
  );
  await openSafetensors(f('overlap.safetensors')).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, SafetensorsError);
      assert.match(
        e.message,
        /overlap\.safetensors \(tensor 'b'\): byte ranges overlap: 'a' \[0, 8\) and 'b' \[4, 12\)/,
      );
    },
  );
  // Two tensors on the very same bytes.
  rawFile(
    f('alias.safetensors'),
    { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } },
    new Uint8Array(8),
  );
  await openSafetensors(f('alias.safetensors')).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /byte ranges overlap: 'a' \[0, 8\) and 'b' \[0, 8\)/),
  );
  // A hole between tensors, one before the first, and bytes after the last.
  rawFile(
    f('hole.safetensors'),
    { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
    new Uint8Array(12),
  );
  await openSafetensors(f('hole.safetensors')).then(
    () => assert.unreachable(),
    (e: Error) =>
      assert.match(
        e.message,
        /hole\.safetensors \(tensor 'b'\): hole in the data region: bytes \[4, 8\) between 'a' and 'b' belong to no tensor/,
      ),
  );
  rawFile(f('lead.safetensors'), { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
  await openSafetensors(f('lead.safetensors')).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /bytes \[0, 4\) before 'a' belong to no tensor/),
  );
  rawFile(f('tail.safetensors'), { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(9));
  await openSafetensors(f('tail.safetensors')).then(
    () => assert.unreachable(),
    (e: Error) =>
      assert.match(
        e.message,
        /tail\.safetensors: hole in the data region: the last 5 bytes of the file, after 'a', belong to no tensor/,
      ),
  );
  // Empty tensors take no bytes and may sit anywhere in the order.
  rawFile(
    f('empty.safetensors'),
    {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      z: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    },
    new Uint8Array(8),
  );
  assert.is((await readSafetensors(f('empty.safetensors'))).tensors.size, 3);
});

test.run();
