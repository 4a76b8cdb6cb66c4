import type { FeatureEncoder, TokenBatches } from './types.ts';

/** Pass 1: the largest activation of every feature over the evaluation tokens (0 for features that never fire). */
export async function featureMaxima(enc: FeatureEncoder, batches: TokenBatches): Promise<Float32Array> {
  const max = new Float32Array(enc.n);
  for await (const b of batches()) {
    const c = await enc.encode(b.x, b.rows);
    for (let i = 0; i < c.values.length; i++) {
      const f = c.indices[i] as number;
      const v = c.values[i] as number;
      if (v > (max[f] as number)) max[f] = v;
    }
  }
  return max;
}

export interface ExampleRef { readonly doc: number; readonly position: number; readonly activation: number }

/** Everything pass 2 counts; memory grows with features x distinct tokens, never with tokens x features. */
export interface Occurrences {
  readonly n: number;
  readonly numLangs: number;
  readonly threshold: Float32Array;
  /** Per feature: token id -> activating occurrences. */
  readonly tokenCounts: Map<number, number>[];
  /** [n * numLangs] activating occurrences by the document's language. */
  readonly langCounts: Float64Array;
  readonly total: Float64Array;
  /** Completed runs of consecutive activating positions within one document: count and summed length. */
  readonly runs: Float64Array;
  readonly runLength: Float64Array;
  /** The first few activating occurrences of each feature, for example contexts. */
  readonly examples: ExampleRef[][];
  readonly tokens: number;
}

/**
 * Pass 2: every activating occurrence (active in the top k and above `ratio` x the feature's maximum).
 * Batches must come in document order with increasing positions, so runs can be followed across batches;
 * a run never crosses a document boundary.
 */
export async function collectOccurrences(enc: FeatureEncoder, batches: TokenBatches, maxima: Float32Array, options: { numLangs: number; ratio?: number; examples?: number }): Promise<Occurrences> {
  const { n } = enc;
  const L = options.numLangs;
  const ratio = options.ratio ?? 0.7;
  const keep = options.examples ?? 5;
  const threshold = Float32Array.from(maxima, (m) => m * ratio);
  const tokenCounts = Array.from({ length: n }, () => new Map<number, number>());
  const langCounts = new Float64Array(n * L);
  const total = new Float64Array(n);
  const runs = new Float64Array(n);
  const runLength = new Float64Array(n);
  const examples: ExampleRef[][] = Array.from({ length: n }, () => []);
  const lastDoc = new Int32Array(n).fill(-1);
  const lastPos = new Int32Array(n).fill(-2);
  const cur = new Float64Array(n);
  let tokens = 0;
  for await (const b of batches()) {
    const c = await enc.encode(b.x, b.rows);
    for (let r = 0; r < b.rows; r++) {
      const doc = b.docIds[r] as number;
      const pos = b.positions[r] as number;
      const lang = b.langs[r] as number;
      if (lang >= L) throw new RangeError(`collectOccurrences: row ${tokens + r} has language index ${lang} of ${L}`);
      for (let j = 0; j < c.k; j++) {
        const f = c.indices[r * c.k + j] as number;
        const v = c.values[r * c.k + j] as number;
        if (!(v > 0) || v <= (threshold[f] as number)) continue;
        const m = tokenCounts[f] as Map<number, number>;
        const t = b.tokenIds[r] as number;
        m.set(t, (m.get(t) ?? 0) + 1);
        langCounts[f * L + lang] = (langCounts[f * L + lang] as number) + 1;
        total[f] = (total[f] as number) + 1;
        if (lastDoc[f] === doc && lastPos[f] === pos - 1) cur[f] = (cur[f] as number) + 1;
        else {
          if ((cur[f] as number) > 0) { runs[f] = (runs[f] as number) + 1; runLength[f] = (runLength[f] as number) + (cur[f] as number); }
          cur[f] = 1;
        }
        lastDoc[f] = doc;
        lastPos[f] = pos;
        const ex = examples[f] as ExampleRef[];
        if (ex.length < keep) ex.push({ doc, position: pos, activation: v });
      }
    }
    tokens += b.rows;
  }
  for (let f = 0; f < n; f++) if ((cur[f] as number) > 0) { runs[f] = (runs[f] as number) + 1; runLength[f] = (runLength[f] as number) + (cur[f] as number); }
  return { n, numLangs: L, threshold, tokenCounts, langCounts, total, runs, runLength, examples, tokens };
}
