/**
 * Counts per (feature, token id) in one open-addressing hash table of typed arrays: a few bytes per
 * distinct pair instead of a Map entry each, and no per-feature objects. Memory grows with the number
 * of distinct pairs (at most features x vocabulary), never with the number of tokens.
 */
export class PairCounts {
  private keyF: Int32Array;
  private keyT: Int32Array;
  private count: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 16) {
    let cap = 1 << 4;
    while (cap < capacity) cap <<= 1;
    this.keyF = new Int32Array(cap).fill(-1);
    this.keyT = new Int32Array(cap);
    this.count = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(f: number, t: number): number {
    let h = Math.imul(f, 0x9e3779b1) ^ Math.imul(t ^ 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    let i = h & this.mask;
    for (;;) {
      const k = this.keyF[i] as number;
      if (k === -1 || (k === f && this.keyT[i] === t)) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** Adds one to the count of (f, t); f must be a non-negative int32. */
  add(f: number, t: number): void {
    let i = this.slot(f, t);
    if (this.keyF[i] === -1) {
      if ((this.size + 1) * 4 > (this.mask + 1) * 3) {
        this.grow();
        i = this.slot(f, t);
      }
      this.keyF[i] = f;
      this.keyT[i] = t;
      this.size++;
    }
    this.count[i] = (this.count[i] as number) + 1;
  }

  get(f: number, t: number): number {
    const i = this.slot(f, t);
    return this.keyF[i] === -1 ? 0 : (this.count[i] as number);
  }

  private grow(): void {
    const { keyF, keyT, count } = this;
    const cap = (this.mask + 1) * 2;
    this.keyF = new Int32Array(cap).fill(-1);
    this.keyT = new Int32Array(cap);
    this.count = new Int32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < keyF.length; j++) {
      const f = keyF[j] as number;
      if (f === -1) continue;
      const i = this.slot(f, keyT[j] as number);
      this.keyF[i] = f;
      this.keyT[i] = keyT[j] as number;
      this.count[i] = count[j] as number;
    }
  }

  /** Compressed rows: feature f's token ids (ascending) are ids[offsets[f] .. offsets[f + 1]), with their counts. */
  toRows(n: number): TokenRows {
    const offsets = new Int32Array(n + 1);
    for (let j = 0; j <= this.mask; j++) {
      const f = this.keyF[j] as number;
      if (f !== -1) offsets[f + 1] = (offsets[f + 1] as number) + 1;
    }
    for (let f = 0; f < n; f++) offsets[f + 1] = (offsets[f + 1] as number) + (offsets[f] as number);
    const ids = new Int32Array(this.size);
    const fill = offsets.slice(0, n);
    for (let j = 0; j <= this.mask; j++) {
      const f = this.keyF[j] as number;
      if (f === -1) continue;
      if (f >= n) throw new RangeError(`PairCounts.toRows: feature ${f} outside 0..${n - 1}`);
      ids[fill[f] as number] = this.keyT[j] as number;
      fill[f] = (fill[f] as number) + 1;
    }
    const counts = new Int32Array(this.size);
    for (let f = 0; f < n; f++) {
      const a = offsets[f] as number;
      const b = offsets[f + 1] as number;
      ids.subarray(a, b).sort();
      for (let i = a; i < b; i++) counts[i] = this.get(f, ids[i] as number);
    }
    return { offsets, ids, counts };
  }
}

export interface TokenRows {
  readonly offsets: Int32Array;
  readonly ids: Int32Array;
  readonly counts: Int32Array;
}

/** Feature f's (token id, count) pairs, ascending by id. */
export function rowOf(rows: TokenRows, f: number): { id: number; count: number }[] {
  const out: { id: number; count: number }[] = [];
  for (let i = rows.offsets[f] as number; i < (rows.offsets[f + 1] as number); i++)
    out.push({ id: rows.ids[i] as number, count: rows.counts[i] as number });
  return out;
}
