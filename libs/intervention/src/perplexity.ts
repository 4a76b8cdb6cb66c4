import { rowNll } from '@saetrace/lm';
import { decodeDelta, encodeRows, injectionDelta, type EncodedRows } from './delta.ts';
import type { InjectableModel, InjectionVariant, SaeCodec } from './types.ts';
import { DEFAULT_VARIANT } from './types.ts';

/** Evaluation windows: `count` rows of `seqLen` token ids each, every row starting with BOS, and each row's language index. */
export interface EvalWindows {
  readonly tokens: Int32Array;
  readonly count: number;
  readonly seqLen: number;
  readonly langs: Uint8Array;
}

export interface Injection {
  readonly full: InjectableModel;
  readonly sae: SaeCodec;
  readonly layer: number;
  readonly mask: ReadonlySet<number>;
  readonly alpha: number;
  readonly variant?: InjectionVariant;
}

export interface PerplexityResult {
  /** Perplexity per language index, then overall (token-weighted). */
  readonly perLang: readonly number[];
  readonly overall: number;
  readonly tokens: readonly number[];
}

/**
 * The full model's side of Eq. 7 for every batch of a window set, from encodeWindows: |h_full| and the
 * SAE codes per batch, which no mask or alpha changes. perplexity() decodes these instead of re-running
 * the full model's tap and the encoder for every intervention.
 */
export interface WindowCodes {
  readonly full: InjectableModel;
  readonly sae: SaeCodec;
  readonly layer: number;
  readonly batch: number;
  readonly seqLen: number;
  /** A copy of the windows' tokens, so codes cannot be applied to other windows unnoticed. */
  readonly tokens: Int32Array;
  readonly batches: readonly EncodedRows[];
}

function checkWindows(fn: string, windows: EvalWindows): void {
  if (windows.tokens.length !== windows.count * windows.seqLen)
    throw new RangeError(`${fn}: ${windows.tokens.length} tokens for ${windows.count} windows of ${windows.seqLen}`);
}

/**
 * Taps the full model at `layer` and encodes every batch of `windows` (the same batches perplexity()
 * runs at this `batch`), so that any number of interventions can share it. The tap and encode calls are
 * those perplexity() makes itself, so the results are bit-identical.
 */
export async function encodeWindows(
  full: InjectableModel,
  sae: SaeCodec,
  layer: number,
  windows: EvalWindows,
  batch = 8,
): Promise<WindowCodes> {
  const { seqLen: T, count } = windows;
  checkWindows('encodeWindows', windows);
  if (!Number.isInteger(layer) || layer < 0 || layer > full.numLayers)
    throw new RangeError(`encodeWindows: layer ${layer} is not a site of the model (0..${full.numLayers})`);
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`encodeWindows: batch must be a positive integer, got ${batch}`);
  const batches: EncodedRows[] = [];
  // As in perplexity(): one-token windows are never forwarded, so they need no codes.
  for (let start = 0; T >= 2 && start < count; start += batch) {
    const b = Math.min(batch, count - start);
    const toks = windows.tokens.subarray(start * T, (start + b) * T);
    const h = (await full.tap(toks, b, T, [layer])).get(layer);
    if (!h) throw new Error(`encodeWindows: the full model returned no tap for layer ${layer}`);
    batches.push(await encodeRows(h, b * T, sae));
  }
  return { full, sae, layer, batch, seqLen: T, tokens: windows.tokens.slice(), batches };
}

/** RangeError naming `codes` unless they were encoded for this injection, these windows and this batch size. */
function checkCodes(codes: WindowCodes, injection: Injection, windows: EvalWindows, batch: number): void {
  const why =
    codes.full !== injection.full
      ? 'another full model than injection.full'
      : codes.sae !== injection.sae
        ? 'another SAE than injection.sae'
        : codes.layer !== injection.layer
          ? `layer ${codes.layer}, not injection.layer ${injection.layer}`
          : codes.batch !== batch
            ? `batch ${codes.batch}, not batch ${batch}`
            : codes.seqLen !== windows.seqLen || codes.tokens.length !== windows.tokens.length
              ? `${codes.tokens.length / codes.seqLen} windows of ${codes.seqLen}, not ${windows.count} of ${windows.seqLen}`
              : codes.tokens.some((t, i) => t !== windows.tokens[i])
                ? 'windows with other tokens'
                : null;
  if (why) throw new RangeError(`perplexity: codes were encoded for ${why}`);
}

/** Negative log-likelihood of `target` under one logits row (the LM library's stable log-sum-exp). */
export const nll = rowNll;

/**
 * Token-weighted perplexity of `mid` on the windows, per language and overall, with the injection of
 * Eq. 7 at one site when `injection` is given. BOS is never a target: position t predicts token t+1.
 * With no injection (or alpha 0, or an empty mask) nothing is added, so the baseline is reproduced exactly.
 * The model returns each position's NLL (`nllWithDelta`, computed in its graph), not V logits per position.
 * `codes` (from encodeWindows on the same windows, full model, SAE, layer and batch) replace the
 * full model's tap and the encoder per batch; only the masked decode is done here then.
 */
export async function perplexity(
  mid: InjectableModel,
  windows: EvalWindows,
  numLangs: number,
  injection: Injection | null,
  batch = 8,
  codes: WindowCodes | null = null,
): Promise<PerplexityResult> {
  const { seqLen: T, count } = windows;
  checkWindows('perplexity', windows);
  if (injection && (!Number.isInteger(injection.layer) || injection.layer < 0 || injection.layer > mid.numLayers))
    throw new RangeError(`perplexity: layer ${injection.layer} is not a site of the model (0..${mid.numLayers})`);
  if (codes && injection) checkCodes(codes, injection, windows, batch);
  for (let w = 0; w < count; w++) {
    const lang = windows.langs[w] as number;
    if (lang >= numLangs) throw new RangeError(`perplexity: window ${w} has language index ${lang} of ${numLangs}`);
  }
  const sum = new Float64Array(numLangs);
  const n = new Float64Array(numLangs);
  const active =
    injection &&
    injection.alpha !== 0 &&
    (injection.mask.size > 0 || (injection.variant ?? DEFAULT_VARIANT).includeBias);
  // A window of one token (BOS alone) has no target, so it needs no forward.
  for (let start = 0; T >= 2 && start < count; start += batch) {
    const b = Math.min(batch, count - start);
    const toks = windows.tokens.subarray(start * T, (start + b) * T);
    let delta: Float32Array | null = null;
    // Codes of the full SAE serve every mask only when the mask is applied after TopK.
    if (active && injection && codes && !injection.variant?.maskBeforeTopK) {
      const enc = codes.batches[start / batch];
      if (!enc) throw new RangeError(`perplexity: codes have no batch ${start / batch}`);
      delta = decodeDelta(enc, injection.sae, injection.mask, injection.alpha, injection.variant);
    } else if (active && injection) {
      const h = (await injection.full.tap(toks, b, T, [injection.layer])).get(injection.layer);
      if (!h) throw new Error(`perplexity: the full model returned no tap for layer ${injection.layer}`);
      delta = await injectionDelta(h, b * T, injection.sae, injection.mask, injection.alpha, injection.variant);
    }
    const nlls = await mid.nllWithDelta(toks, b, T, injection?.layer ?? 0, delta);
    if (nlls.length !== b * (T - 1))
      throw new Error(
        `perplexity: the model returned ${nlls.length} NLLs for ${b} windows of ${T} (expected ${b * (T - 1)})`,
      );
    for (let w = 0; w < b; w++) {
      const lang = windows.langs[start + w] as number;
      // Summed in float64 in position order, as the per-position log-sum-exp was.
      for (let t = 0; t < T - 1; t++) sum[lang] = (sum[lang] as number) + (nlls[w * (T - 1) + t] as number);
      n[lang] = (n[lang] as number) + (T - 1);
    }
  }
  return perplexityFromSums(sum, n);
}

/** Token-weighted perplexities from per-language NLL sums and token counts (NaN where a language has none). */
export function perplexityFromSums(sum: Float64Array, n: Float64Array): PerplexityResult {
  const totalN = n.reduce((a, b) => a + b, 0);
  const totalS = sum.reduce((a, b) => a + b, 0);
  return {
    perLang: Array.from(sum, (s, i) => ((n[i] as number) > 0 ? Math.exp(s / (n[i] as number)) : NaN)),
    overall: totalN > 0 ? Math.exp(totalS / totalN) : NaN,
    tokens: Array.from(n),
  };
}
