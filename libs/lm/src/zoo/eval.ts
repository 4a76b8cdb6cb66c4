import type { LoadedTokenizer } from '../tokenizer/index.ts';
import type { LlamaModel } from '../llama/model.ts';
import { readDocuments } from './corpus.ts';

/** Held-out documents per language the family's perplexity is measured on (the first of the eval split). */
export const EVAL_DOCS = 64;

/** The first `n` eval documents of each language, in corpus order. */
export async function evalDocuments(
  corpusDir: string,
  languages: readonly string[],
  n = EVAL_DOCS,
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const lang of languages) {
    const docs: string[] = [];
    for await (const d of readDocuments(corpusDir, 'eval', lang)) {
      if (docs.length >= n) break;
      docs.push(d.text);
    }
    out[lang] = docs;
  }
  return out;
}

/** Each document as it is scored: BOS + its first seqLen-1 tokens (BOS itself is never a target). */
export async function evalSequences(
  tok: LoadedTokenizer,
  texts: readonly string[],
  seqLen: number,
): Promise<number[][]> {
  return (await tok.encodeBatch(texts)).map((t) => [tok.bosId, ...t].slice(0, seqLen));
}

export interface LanguagePerplexity {
  readonly perLang: Readonly<Record<string, number>>;
  readonly overall: number;
  readonly tokens: Readonly<Record<string, number>>;
}

/** NLL of `target` under one logits row (log-sum-exp, stable). */
export function rowNll(logits: Float32Array, offset: number, vocab: number, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i] as number);
  let s = 0;
  for (let i = 0; i < vocab; i++) s += Math.exp((logits[offset + i] as number) - max);
  return Math.log(s) + max - (logits[offset + target] as number);
}

/**
 * Token-weighted perplexity over documents, per language and overall: each document is BOS + its first
 * seqLen-1 tokens (shorter ones are padded and the padding is never scored); BOS is never a target.
 */
export async function documentPerplexity(
  model: LlamaModel,
  tok: LoadedTokenizer,
  docs: Readonly<Record<string, readonly string[]>>,
  seqLen: number,
  batch = 8,
): Promise<LanguagePerplexity> {
  const perLang: Record<string, number> = {};
  const tokens: Record<string, number> = {};
  let totalNll = 0;
  let totalN = 0;
  const V = model.vocabSize;
  for (const [lang, texts] of Object.entries(docs)) {
    let nllSum = 0;
    let n = 0;
    for (let start = 0; start < texts.length; start += batch) {
      const chunk = texts.slice(start, start + batch);
      const ids = await evalSequences(tok, chunk, seqLen);
      const flat = new Int32Array(chunk.length * seqLen).fill(tok.padId);
      ids.forEach((d, b) =>
        d.forEach((t, i) => {
          flat[b * seqLen + i] = t;
        }),
      );
      const logits = await model.logitsWithDelta(flat, chunk.length, seqLen, 0, null);
      ids.forEach((d, b) => {
        for (let t = 0; t + 1 < d.length; t++) {
          nllSum += rowNll(logits, (b * seqLen + t) * V, V, d[t + 1] as number);
          n++;
        }
      });
    }
    perLang[lang] = n > 0 ? Math.exp(nllSum / n) : NaN;
    tokens[lang] = n;
    totalNll += nllSum;
    totalN += n;
  }
  return { perLang, overall: totalN > 0 ? Math.exp(totalNll / totalN) : NaN, tokens };
}
