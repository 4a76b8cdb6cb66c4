// Byte-pair-encoding merge learning over a word-frequency table, with incremental pair counts.

/** Left/right ids are packed into one number key; ids stay far below 2^21. */
const KEY_BASE = 2 ** 21;

export interface BpeInput {
  /** Initial vocabulary (specials, byte tokens, characters) in id order. */
  readonly baseVocab: readonly string[];
  /** Distinct pre-tokens with their corpus frequency. */
  readonly words: ReadonlyMap<string, number>;
  /** Total vocabulary size to reach (including baseVocab). */
  readonly vocabSize: number;
  /** A pair seen fewer times than this is never merged (training may stop below vocabSize). */
  readonly minPairFrequency: number;
}

export interface BpeResult {
  /** Final vocabulary in id order. */
  readonly vocab: string[];
  /** Merges in rank order, as [left, right] token strings. */
  readonly merges: [string, string][];
}

/** Max-heap of (count, key) with ties broken by the smaller key (smaller left id, then right id). */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!,
      cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes the top entry and returns it as [count, key]. Caller checks size first. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const lastC = this.counts.pop()!,
      lastK = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      let i = 0;
      const n = this.counts.length;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < n && this.above(l, m)) m = l;
        if (r < n && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Learns merges until the vocabulary reaches `vocabSize` or no pair is frequent enough.
 * Characters missing from baseVocab act as barriers: no pair spans them (they fall back to bytes at
 * encode time). Each step takes the most frequent pair (ties: smaller left id, then smaller right id),
 * rewrites only the words that contain it and adjusts the pair counts by the difference.
 */
export function learnBpe(input: BpeInput): BpeResult {
  const vocab = [...input.baseVocab];
  const idOf = new Map<string, number>();
  vocab.forEach((t, i) => idOf.set(t, i));
  const merges: [string, string][] = [];

  const wordSyms: Int32Array[] = [];
  const wordFreq: number[] = [];
  for (const [word, freq] of input.words) {
    const chars = Array.from(word);
    if (chars.length < 2) continue;
    wordSyms.push(Int32Array.from(chars, (c) => idOf.get(c) ?? -1));
    wordFreq.push(freq);
  }

  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addPairs = (w: number, sign: 1 | -1, touched: Set<number> | null): void => {
    const s = wordSyms[w]!;
    const f = wordFreq[w]! * sign;
    for (let i = 0; i + 1 < s.length; i++) {
      const a = s[i]!,
        b = s[i + 1]!;
      if (a < 0 || b < 0) continue;
      const key = a * KEY_BASE + b;
      pairCount.set(key, (pairCount.get(key) ?? 0) + f);
      if (sign > 0 && touched !== null) {
        touched.add(key);
        let list = where.get(key);
        if (list === undefined) where.set(key, (list = []));
        if (list[list.length - 1] !== w) list.push(w);
      }
    }
  };
  for (let w = 0; w < wordSyms.length; w++) addPairs(w, 1, new Set());

  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  const stamp = new Int32Array(wordSyms.length).fill(-1);
  let step = 0;
  while (vocab.length < input.vocabSize && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = pairCount.get(key) ?? 0;
    if (current !== count) {
      // A lowered count has no fresher entry in the heap; a raised one already has.
      if (current > 0 && current < count) heap.push(current, key);
      continue;
    }
    if (count < input.minPairFrequency) break;
    const a = Math.floor(key / KEY_BASE),
      b = key % KEY_BASE;
    const left = vocab[a]!,
      right = vocab[b]!;
    const merged = left + right;
    let id = idOf.get(merged);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(merged);
      idOf.set(merged, id);
    }
    merges.push([left, right]);

    const touched = new Set<number>();
    for (const w of where.get(key) ?? []) {
      if (stamp[w] === step) continue;
      stamp[w] = step;
      const s = wordSyms[w]!;
      let found = false;
      for (let i = 0; i + 1 < s.length; i++)
        if (s[i] === a && s[i + 1] === b) {
          found = true;
          break;
        }
      if (!found) continue;
      addPairs(w, -1, null);
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(s[i]!);
      }
      wordSyms[w] = Int32Array.from(out);
      addPairs(w, 1, touched);
    }
    where.delete(key);
    pairCount.delete(key);
    for (const t of [...touched].sort((x, y) => x - y)) {
      const c = pairCount.get(t) ?? 0;
      // Only pairs with the new token can have grown; the rest already sit in the heap.
      if (c > 0 && (Math.floor(t / KEY_BASE) === id || t % KEY_BASE === id)) heap.push(c, t);
    }
    step++;
  }
  return { vocab, merges };
}
