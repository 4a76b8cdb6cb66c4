import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShardError, decodeShard, encodeShard, readShardFile, shardSha256, type ShardData } from './shard.ts';

const dir = mkdtempSync(join(tmpdir(), 'act-shard-'));

function sample(rows: number, d: number): ShardData {
  return {
    rows,
    d,
    x: Float32Array.from({ length: rows * d }, (_, i) => Math.sin(i) / 2),
    tokenIds: Int32Array.from({ length: rows }, (_, i) => 100 + i),
    docIds: Int32Array.from({ length: rows }, (_, i) => i >> 1),
    positions: Int32Array.from({ length: rows }, (_, i) => i % 64),
    langs: Uint8Array.from({ length: rows }, (_, i) => i & 1),
  };
}

function throwsShard(fn: () => unknown, path: string, re: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ShardError);
    assert.is((err as ShardError).path, path);
    assert.match((err as Error).message, re);
    assert.ok((err as Error).message.startsWith(path));
    return;
  }
  assert.unreachable('expected ShardError');
}

test('float32 round trip is exact and bytes are deterministic', () => {
  const s = sample(6, 5);
  const a = encodeShard(s, 'float32');
  assert.equal(a, encodeShard(sample(6, 5), 'float32'));
  const back = decodeShard('mem', a, { rows: 6, d: 5, sha256: shardSha256(a) });
  assert.equal(back, s);
  // Small Buffers live at odd offsets of a shared pool: decoding must still copy the right bytes.
  const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(a)]).subarray(3);
  assert.equal(decodeShard('mem', pooled).x, s.x);
});

test('float16 shards widen to float32 within half precision', () => {
  const s = sample(4, 3);
  const back = decodeShard('mem', encodeShard(s, 'float16'));
  for (let i = 0; i < s.x.length; i++) assert.ok(Math.abs(back.x[i]! - s.x[i]!) < 5e-4);
  assert.equal(back.tokenIds, s.tokenIds);
});

test('truncated, corrupt, foreign and stale shards are errors naming the file', async () => {
  const bytes = encodeShard(sample(6, 5), 'float32');
  const p = join(dir, 'shard-x.bin');
  throwsShard(() => decodeShard(p, bytes.subarray(0, bytes.length - 3)), p, /truncated/);
  throwsShard(() => decodeShard(p, Uint8Array.from([...bytes, 0])), p, /oversized/);
  throwsShard(() => decodeShard(p, bytes.subarray(0, 10)), p, /bad magic or truncated header|truncated header/);
  const bad = bytes.slice();
  bad[bad.length - 50]! ^= 0xff;
  throwsShard(() => decodeShard(p, bad), p, /checksum mismatch/);
  throwsShard(() => decodeShard(p, new TextEncoder().encode('hello world, not a shard')), p, /bad magic/);
  throwsShard(() => decodeShard(p, bytes, { sha256: '0'.repeat(64) }), p, /differs from the store manifest/);
  throwsShard(() => decodeShard(p, bytes, { rows: 7 }), p, /has 6 rows, manifest says 7/);
  throwsShard(() => decodeShard(p, bytes, { d: 4 }), p, /has d=5, manifest says 4/);
  const hdr = bytes.slice();
  hdr[12] = 0x78; // break the header JSON
  throwsShard(() => decodeShard(p, hdr), p, /corrupt header/);
  writeFileSync(p, bytes.subarray(0, 100));
  await readShardFile(p).then(
    () => assert.unreachable(),
    (err: Error) => assert.match(err.message, /shard-x\.bin: truncated/),
  );
  await readShardFile(join(dir, 'none.bin')).then(
    () => assert.unreachable(),
    (err: Error) => assert.match(err.message, /none\.bin: cannot read shard \(ENOENT\)/),
  );
});

test('encodeShard rejects inconsistent sizes', () => {
  const s = sample(3, 2);
  assert.throws(() => encodeShard({ ...s, x: new Float32Array(5) }, 'float32'), /x has 5 values/);
  assert.throws(() => encodeShard({ ...s, langs: new Uint8Array(2) }, 'float32'), /langs has 2 entries/);
});

test.run();
