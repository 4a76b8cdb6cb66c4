import type { DecodeInjector, DecodeTapper } from '@saetrace/lm';
import { injectionDelta, windowInjectionDelta } from './delta.ts';
import type { Injection } from './perplexity.ts';

/**
 * Eq. 7 along a cached greedy decoding: the full model, tapped at the injection block through its own
 * cache (`tapper`, e.g. LlamaModel.decodeTapper), gives h_full for the prompt window once and then for
 * each new token; each position's delta depends on that position alone, as in the uncached window loop.
 */
export function decodeInjector(tapper: DecodeTapper, inj: Injection): DecodeInjector {
  return {
    layer: inj.layer,
    prefill: async (tokens, lengths, width) =>
      windowInjectionDelta(
        await tapper.prefill(tokens, lengths, width),
        lengths.length,
        width,
        lengths,
        inj.sae,
        inj.mask,
        inj.alpha,
        inj.variant,
      ),
    step: async (tokens, rows) =>
      injectionDelta(await tapper.step(tokens, rows), rows.length, inj.sae, inj.mask, inj.alpha, inj.variant),
  };
}
