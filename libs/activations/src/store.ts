import { join } from 'node:path';
import { runRng } from '@saetrace/engine';
import { readDocTable, readManifest, type DocTable, type StoreManifest } from './manifest.ts';
import { readShardFile, type ShardData } from './shard.ts';

/** One batch from the streaming reader: the same fields as a decoded shard, for any number of rows. */
export type ActivationBatch = ShardData;

export interface BatchOptions {
  readonly batchRows: number;
  /** Shuffle shard order and rows within each shard with this seed; omitted: stored order. */
  readonly seed?: number | string;
  /** Keep only rows whose document has mask[docId] = 1 (see splitByDocument). */
  readonly docMask?: Uint8Array;
  /**
   * Shards held in memory at once and shuffled together (default 1): more mixes documents from more of
   * the store into each batch, at the cost of that many shards of memory.
   */
  readonly shardsInMemory?: number;
  /** Drop a final batch smaller than batchRows (default false). */
  readonly dropLast?: boolean;
}

export interface OpenOptions {
  /**
   * Keep every shard once read and verified, and serve later reads from memory (default false). For a
   * store read many times in one process (an SAE's epochs, a learning-rate search, the passes of the
   * feature metrics) this reads, checksums and copies each shard once instead of once per pass; memory
   * grows to the whole store. Retained shards are shared between reads: callers must not write to them.
   */
  readonly retainShards?: boolean;
}

/**
 * A complete layer store opened for reading. Memory held while streaming is bounded by one shard plus one
 * batch, unless the store was opened with retainShards.
 */
export class ActivationStore {
  private readonly retained: Map<number, ShardData> | null;

  private constructor(
    readonly dir: string,
    readonly manifest: StoreManifest,
    readonly docs: DocTable,
    options: OpenOptions,
  ) {
    this.retained = options.retainShards ? new Map() : null;
  }

  static async open(dir: string, options: OpenOptions = {}): Promise<ActivationStore> {
    const m = await readManifest(dir);
    if (m === null) throw new Error(`${dir}: no complete activation store (manifest.json missing)`);
    const docs = await readDocTable(dir);
    if (docs === null || docs.key !== m.key || docs.ids.length !== m.numDocs)
      throw new Error(`${join(dir, 'docs.json')}: missing or does not belong to this store`);
    return new ActivationStore(dir, m, docs, options);
  }

  get d(): number {
    return this.manifest.d;
  }
  get rows(): number {
    return this.manifest.rows;
  }
  get layer(): number {
    return this.manifest.layer;
  }
  get langs(): readonly string[] {
    return this.manifest.langs;
  }
  get numShards(): number {
    return this.manifest.shards.length;
  }

  /** Reads and verifies shard i against the manifest's checksum. */
  async readShard(i: number): Promise<ShardData> {
    const e = this.manifest.shards[i];
    if (e === undefined) throw new RangeError(`readShard: shard ${i} outside [0, ${this.numShards})`);
    const kept = this.retained?.get(i);
    if (kept) return kept;
    const shard = await readShardFile(join(this.dir, e.file), { rows: e.rows, d: this.d, sha256: e.sha256 });
    this.retained?.set(i, shard);
    return shard;
  }

  /** Verifies every shard's checksum; throws ShardError naming the first bad one. */
  async verify(): Promise<void> {
    for (let i = 0; i < this.numShards; i++) await this.readShard(i);
  }

  /** Streams batches of exactly batchRows rows (the last may be smaller unless dropLast). */
  async *batches(opts: BatchOptions): AsyncGenerator<ActivationBatch> {
    const { batchRows } = opts;
    if (!Number.isInteger(batchRows) || batchRows < 1)
      throw new RangeError(`batches: batchRows must be a positive integer, got ${batchRows}`);
    if (opts.docMask !== undefined && opts.docMask.length !== this.docs.ids.length) {
      throw new RangeError(
        `batches: docMask has ${opts.docMask.length} entries, the store has ${this.docs.ids.length} documents`,
      );
    }
    const group = opts.shardsInMemory ?? 1;
    if (!Number.isInteger(group) || group < 1)
      throw new RangeError(`batches: shardsInMemory must be a positive integer, got ${group}`);
    const rng = opts.seed === undefined ? null : runRng(opts.seed).stream(`activations/reader/L${this.layer}`);
    const order = Array.from({ length: this.numShards }, (_, i) => i);
    if (rng) rng.shuffle(order);
    const d = this.d;
    const pending = new Batcher(batchRows, d);
    for (let g = 0; g < order.length; g += group) {
      const shards: ShardData[] = [];
      // Each kept row gets a small-integer id g (its place in shard order), with its shard and row in
      // two typed arrays; the shuffle permutes the ids. Fisher-Yates depends only on positions, so the
      // row order is the one a shuffle of (shard, row) pairs gives.
      const groupShards = order.slice(g, g + group);
      for (const s of groupShards) shards.push(await this.readShard(s));
      const total = shards.reduce((a, sh) => a + sh.rows, 0);
      const shardOf = new Int32Array(total);
      const rowOf = new Int32Array(total);
      let rows: number[] = [];
      for (let k = 0; k < shards.length; k++) {
        const shard = shards[k]!;
        for (let r = 0; r < shard.rows; r++) {
          if (opts.docMask && opts.docMask[shard.docIds[r]!] !== 1) continue;
          const id = rows.length;
          shardOf[id] = k;
          rowOf[id] = r;
          rows.push(id);
        }
      }
      if (rng) rows = rng.shuffle(rows);
      for (let i = 0; i < rows.length; i++) {
        const id = rows[i] as number;
        const full = pending.push(shards[shardOf[id] as number]!, rowOf[id] as number);
        if (full) yield full;
      }
    }
    const rest = pending.flush();
    if (rest && !opts.dropLast) yield rest;
  }
}

/** Accumulates rows into fixed-size batches. */
class Batcher {
  private x: Float32Array;
  private tokenIds: Int32Array;
  private docIds: Int32Array;
  private positions: Int32Array;
  private langs: Uint8Array;
  private n = 0;

  constructor(
    private readonly size: number,
    private readonly d: number,
  ) {
    this.x = new Float32Array(size * d);
    this.tokenIds = new Int32Array(size);
    this.docIds = new Int32Array(size);
    this.positions = new Int32Array(size);
    this.langs = new Uint8Array(size);
  }

  push(s: ShardData, r: number): ActivationBatch | null {
    const { d, n, x } = this;
    // A plain loop: a subarray view per row cost more than the copy at d = 64..192.
    const src = s.x;
    for (let j = 0, a = r * d, b = n * d; j < d; j++) x[b + j] = src[a + j] as number;
    this.tokenIds[n] = s.tokenIds[r]!;
    this.docIds[n] = s.docIds[r]!;
    this.positions[n] = s.positions[r]!;
    this.langs[n] = s.langs[r]!;
    this.n++;
    return this.n === this.size ? this.take() : null;
  }

  flush(): ActivationBatch | null {
    return this.n === 0 ? null : this.take();
  }

  private take(): ActivationBatch {
    const { n, d } = this;
    const b: ActivationBatch = {
      rows: n,
      d,
      x: this.x.slice(0, n * d),
      tokenIds: this.tokenIds.slice(0, n),
      docIds: this.docIds.slice(0, n),
      positions: this.positions.slice(0, n),
      langs: this.langs.slice(0, n),
    };
    this.n = 0;
    return b;
  }
}

/** Document-level train/validation masks (1 = member), balanced per language. */
export interface DocumentSplit {
  readonly train: Uint8Array;
  readonly val: Uint8Array;
  readonly trainDocs: number;
  readonly valDocs: number;
}

/**
 * Splits a store's documents into train and validation sets: within each language, a seeded
 * round(valFraction * count) of its documents go to validation, so no document straddles the split.
 */
export function splitByDocument(docs: DocTable, valFraction: number, seed: number | string): DocumentSplit {
  if (!(valFraction >= 0 && valFraction <= 1))
    throw new RangeError(`splitByDocument: valFraction must be in [0, 1], got ${valFraction}`);
  const n = docs.ids.length;
  const train = new Uint8Array(n);
  const val = new Uint8Array(n);
  const byLang = new Map<number, number[]>();
  docs.langs.forEach((l, i) => {
    let a = byLang.get(l);
    if (!a) byLang.set(l, (a = []));
    a.push(i);
  });
  const rng = runRng(seed).stream('activations/split');
  let valDocs = 0;
  for (const l of [...byLang.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle(byLang.get(l)!);
    const k = Math.round(valFraction * idx.length);
    idx.forEach((di, j) => {
      if (j < k) val[di] = 1;
      else train[di] = 1;
    });
    valDocs += k;
  }
  return { train, val, trainDocs: n - valDocs, valDocs };
}
