import { join } from 'node:path';
import { readDocuments } from '../zoo/corpus.ts';

/** The language codes of a pair name such as 'en-ja'. */
export function pairLanguages(pair: string): [string, string] {
  const m = /^([a-z]{2,3})-([a-z]{2,3})$/.exec(pair);
  if (m === null || m[1] === m[2])
    throw new RangeError(`pair must look like 'en-ja' (two different language codes), got '${pair}'`);
  return [m[1]!, m[2]!];
}

/** Documents of one split of a pair, language after language (a fixed order, so training is repeatable). */
export async function* pairDocuments(
  corpusRoot: string,
  pair: string,
  split: string,
  maxDocsPerLang = Infinity,
): AsyncGenerator<{ lang: string; text: string }> {
  for (const lang of pairLanguages(pair)) {
    let n = 0;
    for await (const doc of readDocuments(join(corpusRoot, pair), split, lang)) {
      if (n++ >= maxDocsPerLang) break;
      yield { lang, text: doc.text };
    }
  }
}
