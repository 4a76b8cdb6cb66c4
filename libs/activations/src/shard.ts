import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { floatsToHalf, halfToFloats } from './half.ts';

/**
 * One shard file: magic, u32 header length, JSON header (padded to 8 bytes), payload. The payload is
 * activations (fp32 or fp16, rows*d), then tokenIds, docIds, positions (int32 each) and langs (uint8).
 * The header records the payload's sha256 and length, so truncation and corruption are both detected.
 */
const MAGIC = 'SAETSHD1';

export type StoreDType = 'float32' | 'float16';

export interface ShardData {
  readonly rows: number;
  readonly d: number;
  /** Unit-norm activations float32 [rows*d] (fp16 shards are widened on read). */
  readonly x: Float32Array;
  readonly tokenIds: Int32Array;
  /** Index into the store's document table. */
  readonly docIds: Int32Array;
  /** 0-based position after BOS, 0..63. */
  readonly positions: Int32Array;
  readonly langs: Uint8Array;
}

interface ShardHeader {
  readonly format: string;
  readonly rows: number;
  readonly d: number;
  readonly dtype: StoreDType;
  readonly payloadBytes: number;
  readonly sha256: string;
}

/** A shard that fails validation; the message names the file. */
export class ShardError extends Error {
  override readonly name = 'ShardError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Serialises a shard; identical inputs give identical bytes. */
export function encodeShard(s: ShardData, dtype: StoreDType): Uint8Array {
  const { rows, d } = s;
  if (s.x.length !== rows * d) throw new RangeError(`encodeShard: x has ${s.x.length} values, expected ${rows * d}`);
  for (const [k, a] of [
    ['tokenIds', s.tokenIds],
    ['docIds', s.docIds],
    ['positions', s.positions],
    ['langs', s.langs],
  ] as const) {
    if (a.length !== rows) throw new RangeError(`encodeShard: ${k} has ${a.length} entries, expected ${rows}`);
  }
  const parts = [
    bytesOf(dtype === 'float16' ? floatsToHalf(s.x) : s.x),
    bytesOf(s.tokenIds),
    bytesOf(s.docIds),
    bytesOf(s.positions),
    bytesOf(s.langs),
  ];
  const payloadBytes = parts.reduce((n, p) => n + p.length, 0);
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  const header: ShardHeader = { format: MAGIC, rows, d, dtype, payloadBytes, sha256: hash.digest('hex') };
  let json = JSON.stringify(header);
  // Pad so the payload starts 8-byte aligned.
  while ((MAGIC.length + 4 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const jsonBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(MAGIC.length + 4 + jsonBytes.length + payloadBytes);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, jsonBytes.length, true);
  let o = MAGIC.length + 4;
  out.set(jsonBytes, o);
  o += jsonBytes.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Parses and verifies shard bytes; any inconsistency throws ShardError naming `path`. */
export function decodeShard(
  path: string,
  buf: Uint8Array,
  expect?: { rows?: number; d?: number; sha256?: string },
): ShardData {
  if (buf.length < MAGIC.length + 4 || Buffer.from(buf.subarray(0, MAGIC.length)).toString('ascii') !== MAGIC) {
    throw new ShardError(path, 'not an activation shard (bad magic or truncated header)');
  }
  const hlen = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4 + hlen;
  if (start > buf.length) throw new ShardError(path, 'truncated header');
  let h: ShardHeader;
  try {
    h = JSON.parse(Buffer.from(buf.subarray(MAGIC.length + 4, start)).toString('utf8')) as ShardHeader;
  } catch {
    throw new ShardError(path, 'corrupt header');
  }
  if (
    !Number.isInteger(h.rows) ||
    !Number.isInteger(h.d) ||
    (h.dtype !== 'float32' && h.dtype !== 'float16') ||
    typeof h.sha256 !== 'string'
  ) {
    throw new ShardError(path, 'corrupt header');
  }
  const xBytes = h.rows * h.d * (h.dtype === 'float16' ? 2 : 4);
  const payloadBytes = xBytes + h.rows * 13;
  if (h.payloadBytes !== payloadBytes)
    throw new ShardError(path, 'corrupt header (payload size disagrees with rows and d)');
  if (buf.length - start !== payloadBytes) {
    throw new ShardError(
      path,
      `${buf.length - start < payloadBytes ? 'truncated' : 'oversized'}: payload has ${buf.length - start} bytes, header says ${payloadBytes}`,
    );
  }
  const payload = buf.subarray(start);
  const sha = createHash('sha256').update(payload).digest('hex');
  if (sha !== h.sha256) throw new ShardError(path, 'checksum mismatch (corrupt data)');
  if (expect?.sha256 !== undefined && expect.sha256 !== sha)
    throw new ShardError(path, 'checksum differs from the store manifest (stale or replaced shard)');
  if (expect?.rows !== undefined && expect.rows !== h.rows)
    throw new ShardError(path, `has ${h.rows} rows, manifest says ${expect.rows}`);
  if (expect?.d !== undefined && expect.d !== h.d)
    throw new ShardError(path, `has d=${h.d}, manifest says ${expect.d}`);
  // Copy each section so typed arrays are aligned and independent of the file buffer (a Buffer's
  // slice() is a view into a shared pool, so copy through the Uint8Array constructor).
  const copy = (off: number, len: number): ArrayBuffer => new Uint8Array(payload.subarray(off, off + len)).buffer;
  let o = 0;
  const x = h.dtype === 'float16' ? halfToFloats(new Uint16Array(copy(o, xBytes))) : new Float32Array(copy(o, xBytes));
  o += xBytes;
  const tokenIds = new Int32Array(copy(o, h.rows * 4));
  o += h.rows * 4;
  const docIds = new Int32Array(copy(o, h.rows * 4));
  o += h.rows * 4;
  const positions = new Int32Array(copy(o, h.rows * 4));
  o += h.rows * 4;
  const langs = new Uint8Array(copy(o, h.rows));
  return { rows: h.rows, d: h.d, x, tokenIds, docIds, positions, langs };
}

/** sha256 of the checksummed payload, as recorded in the header (for manifests). */
export function shardSha256(buf: Uint8Array): string {
  const hlen = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(MAGIC.length, true);
  return (
    JSON.parse(Buffer.from(buf.subarray(MAGIC.length + 4, MAGIC.length + 4 + hlen)).toString('utf8')) as ShardHeader
  ).sha256;
}

/** Reads and verifies a shard file; a missing file is a ShardError naming it too. */
export async function readShardFile(
  path: string,
  expect?: { rows?: number; d?: number; sha256?: string },
): Promise<ShardData> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new ShardError(path, `cannot read shard (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return decodeShard(path, buf, expect);
}
