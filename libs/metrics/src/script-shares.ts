import type { TokenBatch } from './types.ts';

/** How a language's evaluation tokens are written: shares in the first language's script, the second's, neither. */
export interface TokenScriptShares {
  readonly tokens: number;
  readonly first: number;
  readonly second: number;
  readonly neither: number;
}

/**
 * Per document language, the shares of tokens by their script class (`table` per token id: 1 the first language's
 * script, 2 the second's, 0 neither: digits, punctuation, spaces, partial bytes). Position 0 is left out: every
 * window starts with BOS. Issue 15's check of the text the analysis reads ("36.8% of tokens in Japanese evaluation
 * windows are not Japanese script").
 */
export async function tokenScriptShares(
  batches: AsyncIterable<TokenBatch>,
  table: Uint8Array,
  numLangs = 2,
): Promise<TokenScriptShares[]> {
  const counts = Array.from({ length: numLangs }, () => [0, 0, 0]);
  for await (const b of batches)
    for (let r = 0; r < b.rows; r++) {
      if (b.positions[r] === 0) continue;
      const lang = b.langs[r] as number;
      const id = b.tokenIds[r] as number;
      if (lang >= numLangs) throw new RangeError(`tokenScriptShares: language index ${lang} >= ${numLangs}`);
      if (id < 0 || id >= table.length)
        throw new RangeError(`tokenScriptShares: token id ${id} outside the ${table.length}-entry script table`);
      const cls = table[id] as number;
      if (cls > 2) throw new RangeError(`tokenScriptShares: script class ${cls} of token ${id} is not 0, 1 or 2`);
      (counts[lang] as number[])[cls]!++;
    }
  return counts.map(([neither, first, second]) => {
    const tokens = (neither as number) + (first as number) + (second as number);
    const s = (x: number) => (tokens === 0 ? 0 : x / tokens);
    return { tokens, first: s(first as number), second: s(second as number), neither: s(neither as number) };
  });
}
