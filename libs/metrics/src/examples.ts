import { readdirSync } from 'node:fs';
import { readJsonRecord } from '@saetrace/engine';
import { join } from 'node:path';

/** One stored example sequence: [token string, activation] per position (the authors' demo format). */
export type ExampleSequence = readonly (readonly [string, number])[];

export type Detector = 'llmjp-regex' | 'script';
export type TokenLanguage = 'en' | 'ja' | 'ko' | null;

const LLMJP_ENGLISH = /^[a-zA-Z\s"'(),.-]+$/;

/**
 * The authors' detector: a token is English if, stripped, it matches ^[a-zA-Z\s"'(),.\-]+$; an all-digit
 * token takes the language of the nearest earlier non-digit token (Japanese when there is none); anything
 * else is Japanese.
 */
function llmjp(seq: ExampleSequence, i: number): TokenLanguage {
  for (let j = i; j >= 0; j--) {
    const t = (seq[j]?.[0] ?? '').trim();
    // Any decimal digits, full-width ones included (as Python's str.isdigit accepts them).
    if (/^\p{Nd}+$/u.test(t)) continue;
    return LLMJP_ENGLISH.test(t) ? 'en' : 'ja';
  }
  return 'ja';
}

/**
 * Script-based detector (our default): Latin letters are English, kana/kanji Japanese, Hangul Korean; a
 * token with no letters (digits, punctuation, spaces) takes the language of the nearest earlier token that has one.
 */
function script(seq: ExampleSequence, i: number): TokenLanguage {
  for (let j = i; j >= 0; j--) {
    const t = seq[j]?.[0] ?? '';
    if (/[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u.test(t)) return 'ja';
    if (/\p{Script=Hangul}/u.test(t)) return 'ko';
    if (/\p{Script=Latin}/u.test(t)) return 'en';
  }
  return null;
}

/** Position of the largest activation (the first on ties), or -1 for an empty sequence. */
export function peakPosition(seq: ExampleSequence): number {
  let best = -1;
  for (let i = 0; i < seq.length; i++) if (best < 0 || (seq[i]?.[1] as number) > (seq[best]?.[1] as number)) best = i;
  return best;
}

export function peakLanguage(seq: ExampleSequence, detector: Detector): TokenLanguage {
  const p = peakPosition(seq);
  if (p < 0) return null;
  return detector === 'llmjp-regex' ? llmjp(seq, p) : script(seq, p);
}

/**
 * Peak-token rule: a feature is English (Japanese) when more than `cut` of its examples peak on an English
 * (Japanese) token, else mixed; examples whose peak language is unknown are left out.
 */
export function classifyByPeakTokens(
  examples: readonly ExampleSequence[],
  detector: Detector,
  cut = 0.9,
): 'en' | 'ja' | 'mixed' | 'none' {
  let en = 0;
  let ja = 0;
  let total = 0;
  for (const ex of examples) {
    const l = peakLanguage(ex, detector);
    if (l === null) continue;
    total++;
    if (l === 'en') en++;
    else if (l === 'ja') ja++;
  }
  if (total === 0) return 'none';
  if (en / total > cut) return 'en';
  if (ja / total > cut) return 'ja';
  return 'mixed';
}

/** Reads one demo file `{"token_act": [[[token, act], ...], ...]}`; errors name the file. */
export function readExampleFile(path: string): ExampleSequence[] {
  const data = readJsonRecord<unknown>(
    path,
    "regenerate the demo file (the authors' llm-jp-sae writes them) or remove it from the directory",
  );
  const ta = (data as { token_act?: unknown })?.token_act;
  if (!Array.isArray(ta)) throw new Error(`${path}: no 'token_act' list`);
  return ta.map((seq, i) => {
    if (!Array.isArray(seq)) throw new Error(`${path}: token_act[${i}] is not a list`);
    return seq.map((pair, j) => {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'number')
        throw new Error(`${path}: token_act[${i}][${j}] is not [token, activation]`);
      return [pair[0], pair[1]] as const;
    });
  });
}

/** Classifies every feature file of a directory; counts per class (features with no usable example are 'none'). */
export function classifyExampleDir(
  dir: string,
  detector: Detector,
  cut = 0.9,
): { en: number; ja: number; mixed: number; none: number } {
  const counts = { en: 0, ja: 0, mixed: 0, none: 0 };
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort())
    counts[classifyByPeakTokens(readExampleFile(join(dir, f)), detector, cut)]++;
  return counts;
}
