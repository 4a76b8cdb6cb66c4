import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRng, writeJsonAtomic } from '@saetrace/engine';
import { loadTokenizer } from '../tokenizer/index.ts';
import { evalDocuments, evalSequences } from './eval.ts';
import type { FamilyProfile } from './family.ts';
import { ngramPerplexity, trainKneserNey } from './ngram.ts';
import { trainingTokens } from './tokens.ts';
import { windowsSeen } from './train.ts';

/** One n-gram baseline: its order, what it was trained on, and its perplexity on the family's eval windows. */
export interface NgramBaseline {
  readonly order: 2 | 3;
  /** 'seen': exactly the windows the largest member trained on; 'all': every training window. */
  readonly data: 'seen' | 'all';
  readonly trainTokens: number;
  readonly perLang: Readonly<Record<string, number>>;
  readonly overall: number;
  readonly seconds: number;
}

export interface FamilyBaselines {
  readonly format: 'saetrace-zoo-baselines/1';
  readonly pair: string;
  readonly profile: string;
  /** sha256 of tokenizer.json: a baseline is for one tokenisation. */
  readonly tokenizer: string;
  readonly smoothing: string;
  readonly evalTokens: Readonly<Record<string, number>>;
  readonly rows: readonly NgramBaseline[];
}

export const BASELINES_FILE = 'baselines.json';

/**
 * Bigram and trigram interpolated modified Kneser-Ney models on the family's own training windows (the same
 * tokenizer, packing and seed as trainFamily), scored on exactly the eval windows and targets of its
 * perplexity (libs/lm/src/zoo/eval.ts), written to outDir/baselines.json.
 */
export async function familyBaselines(options: {
  readonly profile: FamilyProfile;
  readonly pair: string;
  readonly corpusRoot: string;
  readonly tokenizerDir: string;
  readonly outDir: string;
  readonly onProgress?: (line: string) => void;
}): Promise<FamilyBaselines> {
  const { profile } = options;
  const languages = options.pair.split('-') as [string, string];
  if (languages.length !== 2) throw new Error(`familyBaselines: pair must look like en-ja, got '${options.pair}'`);
  const corpusDir = join(options.corpusRoot, options.pair);
  const tokenizer = await loadTokenizer(options.tokenizerDir);
  const tokenizerKey = createHash('sha256')
    .update(readFileSync(join(options.tokenizerDir, 'tokenizer.json')))
    .digest('hex');
  const data = await trainingTokens({
    corpusDir,
    languages,
    tokenizer,
    tokenizerKey,
    seqLen: profile.seqLen,
    parallelShare: profile.parallelShare,
    rng: runRng(profile.seed).stream('data'),
    cacheDir: join(options.outDir, 'data'),
  });
  const window = (w: number) => data.windows.subarray(w * data.seqLen, (w + 1) * data.seqLen);
  const largest = profile.members.at(-1);
  if (!largest) throw new Error(`familyBaselines: profile ${profile.name} has no members`);
  const sets = {
    seen: () => windowsSeen(profile, largest, data.count).map(window),
    all: () => Array.from({ length: data.count }, (_, w) => window(w)),
  } as const;
  const evalDocs = await evalDocuments(corpusDir, languages);
  const evalSeqs: Record<string, number[][]> = {};
  for (const lang of languages) evalSeqs[lang] = await evalSequences(tokenizer, evalDocs[lang] ?? [], profile.seqLen);
  const rows: NgramBaseline[] = [];
  const evalTokens: Record<string, number> = {};
  for (const set of ['seen', 'all'] as const) {
    const train = sets[set]();
    for (const order of [2, 3] as const) {
      const t0 = performance.now();
      const model = trainKneserNey(train, order, tokenizer.vocabSize);
      const perLang: Record<string, number> = {};
      let nll = 0;
      let n = 0;
      for (const lang of languages) {
        const r = ngramPerplexity(model, evalSeqs[lang] ?? []);
        perLang[lang] = r.perplexity;
        evalTokens[lang] = r.tokens;
        nll += Math.log(r.perplexity) * r.tokens;
        n += r.tokens;
      }
      const row: NgramBaseline = {
        order,
        data: set,
        trainTokens: train.length * data.seqLen,
        perLang,
        overall: Math.exp(nll / n),
        seconds: (performance.now() - t0) / 1000,
      };
      rows.push(row);
      options.onProgress?.(
        `${order}-gram on ${set} windows (${row.trainTokens.toLocaleString('en-US')} tokens): ${languages.map((l) => `${l} ${perLang[l]?.toFixed(1)}`).join(', ')}, all ${row.overall.toFixed(1)}`,
      );
    }
  }
  const out: FamilyBaselines = {
    format: 'saetrace-zoo-baselines/1',
    pair: options.pair,
    profile: profile.name,
    tokenizer: tokenizerKey,
    smoothing: 'interpolated modified Kneser-Ney (Chen and Goodman 1999), unigram level interpolated with uniform',
    evalTokens,
    rows,
  };
  await writeJsonAtomic(join(options.outDir, BASELINES_FILE), out);
  return out;
}
