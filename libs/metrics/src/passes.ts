import { PairCounts, type TokenRows } from './counts.ts';
import type { FeatureEncoder, TokenBatch, TokenBatches } from './types.ts';

/** Bad batches are misuse by the caller: name the first row of the batch and the disagreeing field. */
function checkBatch(b: TokenBatch, d: number, firstRow: number): void {
  const where = `batch starting at row ${firstRow}`;
  if (!Number.isInteger(b.rows) || b.rows < 0)
    throw new RangeError(`${where}: rows must be a non-negative integer, got ${b.rows}`);
  if (b.x.length !== b.rows * d)
    throw new RangeError(`${where}: x has ${b.x.length} values, expected rows x d = ${b.rows} x ${d}`);
  for (const key of ['tokenIds', 'docIds', 'positions', 'langs'] as const) {
    if (b[key].length !== b.rows)
      throw new RangeError(`${where}: ${key} has ${b[key].length} entries for ${b.rows} rows`);
  }
}

/** Pass 1: the largest activation of every feature over the evaluation tokens (0 for features that never fire). */
export async function featureMaxima(enc: FeatureEncoder, batches: TokenBatches): Promise<Float32Array> {
  const max = new Float32Array(enc.n);
  let rows = 0;
  for await (const b of batches()) {
    checkBatch(b, enc.d, rows);
    rows += b.rows;
    const c = await enc.encode(b.x, b.rows);
    for (let i = 0; i < c.values.length; i++) {
      const f = c.indices[i] as number;
      const v = c.values[i] as number;
      if (v > (max[f] as number)) max[f] = v;
    }
  }
  return max;
}

/**
 * One stored activating occurrence: where it is, its activation, and the token ids around it in its own
 * document (up to `context` before and after; `offset` is the activating token's index in `context`).
 */
export interface ExampleRef {
  readonly doc: number;
  readonly position: number;
  readonly activation: number;
  readonly context: readonly number[];
  readonly offset: number;
}

interface PendingExample {
  readonly ctx: number[];
  readonly doc: number;
  lastPos: number;
  need: number;
}

/** Everything pass 2 counts; memory grows with features x distinct tokens, never with tokens x features. */
export interface Occurrences {
  readonly n: number;
  readonly numLangs: number;
  readonly threshold: Float32Array;
  /** Activating occurrences per (feature, token id), as compressed rows (see rowOf). */
  readonly tokenCounts: TokenRows;
  /** [n * numLangs] activating occurrences by the document's language. */
  readonly langCounts: Float64Array;
  readonly total: Float64Array;
  /** Completed runs of consecutive activating positions within one document: count and summed length. */
  readonly runs: Float64Array;
  readonly runLength: Float64Array;
  /** The first few activating occurrences of each feature (stream order), with their contexts. */
  readonly examples: ExampleRef[][];
  readonly tokens: number;
}

/**
 * Pass 2: every activating occurrence (active in the top k and above `ratio` x the feature's maximum).
 * Batches must come in document order with increasing positions, so runs can be followed across batches;
 * a run never crosses a document boundary (nor a gap in positions). Example contexts are gathered on the
 * fly: the tokens before come from a ring of the last `context` rows, the tokens after are appended as
 * later rows of the same document arrive, so nothing beyond the current batch is kept.
 */
export async function collectOccurrences(
  enc: FeatureEncoder,
  batches: TokenBatches,
  maxima: Float32Array,
  options: { numLangs: number; ratio?: number; examples?: number; context?: number },
): Promise<Occurrences> {
  const { n } = enc;
  const L = options.numLangs;
  const ratio = options.ratio ?? 0.7;
  const keep = options.examples ?? 5;
  const C = options.context ?? 8;
  if (maxima.length !== n) throw new RangeError(`collectOccurrences: ${maxima.length} maxima for ${n} features`);
  if (!Number.isInteger(L) || L < 1 || L > 255)
    throw new RangeError(`collectOccurrences: numLangs must be an integer in 1..255, got ${L}`);
  if (!(ratio >= 0 && ratio < 1)) throw new RangeError(`collectOccurrences: ratio must be in [0, 1), got ${ratio}`);
  if (!Number.isInteger(keep) || keep < 0)
    throw new RangeError(`collectOccurrences: examples must be a non-negative integer, got ${keep}`);
  if (!Number.isInteger(C) || C < 0)
    throw new RangeError(`collectOccurrences: context must be a non-negative integer, got ${C}`);
  const threshold = Float32Array.from(maxima, (m) => m * ratio);
  const pairs = new PairCounts();
  const langCounts = new Float64Array(n * L);
  const total = new Float64Array(n);
  const runs = new Float64Array(n);
  const runLength = new Float64Array(n);
  const examples: ExampleRef[][] = Array.from({ length: n }, () => []);
  const lastDoc = new Int32Array(n).fill(-1);
  const lastPos = new Int32Array(n).fill(-2);
  const cur = new Float64Array(n);
  // The last C rows (token, document, position), newest at ring[(head - 1) mod C].
  const ringTok = new Int32Array(C);
  const ringDoc = new Int32Array(C);
  const ringPos = new Int32Array(C);
  let head = 0;
  let filled = 0;
  let pending: PendingExample[] = [];
  let tokens = 0;
  for await (const b of batches()) {
    checkBatch(b, enc.d, tokens);
    const c = await enc.encode(b.x, b.rows);
    for (let r = 0; r < b.rows; r++) {
      const doc = b.docIds[r] as number;
      const pos = b.positions[r] as number;
      const lang = b.langs[r] as number;
      const tok = b.tokenIds[r] as number;
      if (lang >= L) throw new RangeError(`collectOccurrences: row ${tokens + r} has language index ${lang} of ${L}`);
      if (pending.length > 0) {
        for (const p of pending) {
          if (p.doc === doc && p.lastPos === pos - 1) {
            p.ctx.push(tok);
            p.lastPos = pos;
            p.need--;
          } else p.need = 0;
        }
        pending = pending.filter((p) => p.need > 0);
      }
      for (let j = 0; j < c.k; j++) {
        const f = c.indices[r * c.k + j] as number;
        const v = c.values[r * c.k + j] as number;
        if (!(v > 0) || v <= (threshold[f] as number)) continue;
        pairs.add(f, tok);
        langCounts[f * L + lang] = (langCounts[f * L + lang] as number) + 1;
        total[f] = (total[f] as number) + 1;
        if (lastDoc[f] === doc && lastPos[f] === pos - 1) cur[f] = (cur[f] as number) + 1;
        else {
          if ((cur[f] as number) > 0) {
            runs[f] = (runs[f] as number) + 1;
            runLength[f] = (runLength[f] as number) + (cur[f] as number);
          }
          cur[f] = 1;
        }
        lastDoc[f] = doc;
        lastPos[f] = pos;
        const ex = examples[f] as ExampleRef[];
        if (ex.length < keep) {
          const before: number[] = [];
          for (let i = 1, p = pos; i <= filled; i++) {
            const at = (head - i + C) % C;
            if (ringDoc[at] !== doc || ringPos[at] !== p - 1) break;
            before.push(ringTok[at] as number);
            p--;
          }
          const ctx = [...before.reverse(), tok];
          ex.push({ doc, position: pos, activation: v, context: ctx, offset: before.length });
          if (C > 0) pending.push({ ctx, doc, lastPos: pos, need: C });
        }
      }
      if (C > 0) {
        ringTok[head] = tok;
        ringDoc[head] = doc;
        ringPos[head] = pos;
        head = (head + 1) % C;
        filled = Math.min(filled + 1, C);
      }
    }
    tokens += b.rows;
  }
  for (let f = 0; f < n; f++)
    if ((cur[f] as number) > 0) {
      runs[f] = (runs[f] as number) + 1;
      runLength[f] = (runLength[f] as number) + (cur[f] as number);
    }
  return {
    n,
    numLangs: L,
    threshold,
    tokenCounts: pairs.toRows(n),
    langCounts,
    total,
    runs,
    runLength,
    examples,
    tokens,
  };
}
