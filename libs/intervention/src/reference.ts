import { windowInjectionDelta } from './delta.ts';
import type { Injection } from './perplexity.ts';
import type { InjectableModel } from './types.ts';
import { DEFAULT_VARIANT } from './types.ts';

/**
 * A prompt followed by the text it should produce: `tokens` holds both, and the tokens from index `from` on are
 * the scored continuation (each predicted from everything before it).
 */
export interface ScoredSequence {
  readonly tokens: readonly number[];
  readonly from: number;
}

export interface ReferenceNll {
  /** exp(mean NLL) over every scored token of every sequence (NaN when none is scored). */
  readonly perplexity: number;
  /** Summed NLL in nats and the number of scored tokens. */
  readonly nll: number;
  readonly tokens: number;
}

/**
 * Reference-conditional perplexity: how likely `mid` finds each reference translation given its few-shot prompt
 * and source, with Eq. 7's injection when given. Unlike chrF or BLEU of greedy output it moves even when a small
 * model's translations are all wrong. Sequences are batched right-padded with `pad`: under causal attention a
 * pad is never read by a scored position, and only real positions are encoded by the SAE (windowInjectionDelta),
 * so each sequence's score is that of its own window.
 */
export async function referencePerplexity(
  mid: InjectableModel,
  sequences: readonly ScoredSequence[],
  injection: Injection | null,
  pad: number,
  batch = 8,
): Promise<ReferenceNll> {
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`referencePerplexity: batch must be a positive integer, got ${batch}`);
  for (const [i, s] of sequences.entries())
    if (!Number.isInteger(s.from) || s.from < 1 || s.from > s.tokens.length)
      throw new RangeError(
        `referencePerplexity: sequence ${i} scores from index ${s.from} of ${s.tokens.length} tokens (needs 1..length: the first token has no context)`,
      );
  if (injection && (!Number.isInteger(injection.layer) || injection.layer < 0 || injection.layer > mid.numLayers))
    throw new RangeError(
      `referencePerplexity: layer ${injection.layer} is not a site of the model (0..${mid.numLayers})`,
    );
  const active =
    injection !== null &&
    injection.alpha !== 0 &&
    (injection.mask.size > 0 || (injection.variant ?? DEFAULT_VARIANT).includeBias);
  let sum = 0;
  let n = 0;
  for (let start = 0; start < sequences.length; start += batch) {
    const part = sequences.slice(start, start + batch);
    const lengths = part.map((s) => s.tokens.length);
    const T = Math.max(2, ...lengths);
    const b = part.length;
    const toks = new Int32Array(b * T).fill(pad);
    for (const [r, s] of part.entries()) toks.set(s.tokens, r * T);
    let delta: Float32Array | null = null;
    if (active && injection) {
      const h = (await injection.full.tap(toks, b, T, [injection.layer])).get(injection.layer);
      if (!h) throw new Error(`referencePerplexity: the full model returned no tap for layer ${injection.layer}`);
      delta = await windowInjectionDelta(
        h,
        b,
        T,
        lengths,
        injection.sae,
        injection.mask,
        injection.alpha,
        injection.variant,
      );
    }
    const nlls = await mid.nllWithDelta(toks, b, T, injection?.layer ?? 0, delta);
    if (nlls.length !== b * (T - 1))
      throw new Error(`referencePerplexity: the model returned ${nlls.length} NLLs for ${b} rows of ${T}`);
    // Entry r*(T-1)+t scores token t+1 of row r; summed in float64 in order.
    for (const [r, s] of part.entries())
      for (let t = s.from - 1; t < s.tokens.length - 1; t++) {
        sum += nlls[r * (T - 1) + t] as number;
        n++;
      }
  }
  return { perplexity: n > 0 ? Math.exp(sum / n) : NaN, nll: sum, tokens: n };
}

/**
 * The scored sequence of one translation: BOS, the prompt's ids, then the reference's, cut to the last `window`
 * tokens as generation cuts its prompt; the reference is scored in full when it fits (else its last window-1 tokens).
 */
export function scoredSequence(
  bos: number,
  prompt: readonly number[],
  reference: readonly number[],
  window: number,
): ScoredSequence {
  if (!Number.isInteger(window) || window < 2)
    throw new RangeError(`scoredSequence: window must be an integer >= 2, got ${window}`);
  if (reference.length === 0) throw new RangeError('scoredSequence: the reference has no tokens');
  const all = [bos, ...prompt, ...reference].slice(-window);
  return { tokens: all, from: Math.max(1, all.length - reference.length) };
}
