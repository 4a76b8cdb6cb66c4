import { drawMasks, type FeatureClass } from './masks.ts';
import { encodeWindows, perplexity, type EvalWindows, type Injection, type WindowCodes } from './perplexity.ts';
import { meanStd } from './summary.ts';
import type { InjectableModel, InjectionVariant, SaeCodec } from './types.ts';
import { DEFAULT_VARIANT } from './types.ts';

export interface Stat {
  readonly mean: number;
  readonly std: number;
  readonly n: number;
}

/**
 * Scores translation under an injection (null: none) and returns named metrics (e.g. chrF, BLEU per
 * direction). This is also the hook for a model-based metric such as COMET where one is available.
 */
export type TranslationScorer = (injection: Injection | null) => Promise<Readonly<Record<string, number>>>;

export interface InterventionSetting {
  readonly mid: InjectableModel;
  readonly full: InjectableModel;
  readonly sae: SaeCodec;
  readonly layer: number;
  /** Class of every SAE feature, from the metrics over the full model at this layer. */
  readonly classes: readonly FeatureClass[];
  /** The pair's language codes, first then second (e.g. ['en', 'ja']). */
  readonly languages: readonly [string, string];
  readonly windows: EvalWindows;
  readonly variant?: InjectionVariant;
  readonly translate?: TranslationScorer;
  readonly seed: number | string;
  /**
   * The full model's codes on `windows` (encodeWindows(full, sae, layer, windows)), shared by every
   * setting over the same windows; encoded once per call of interventionRows when absent.
   */
  readonly codes?: WindowCodes;
  /**
   * The 'none' row (baselineRow(s)) of this setting's mid model, windows and scorer: it depends on no
   * alpha or n, so Table 4 computes it once for its nine settings. Computed per call when absent.
   */
  readonly baseline?: InterventionRow;
}

export interface InterventionRow {
  /** 'none', the first language's name, the second's, or 'Bilingual'. */
  readonly added: string;
  readonly cls: Exclude<FeatureClass, 'dead'> | null;
  readonly features: number;
  readonly available: number;
  readonly perplexity: Readonly<Record<string, Stat>>;
  readonly translation: Readonly<Record<string, Stat>>;
}

const LANG_NAMES: Readonly<Record<string, string>> = {
  en: 'English',
  ja: 'Japanese',
  ko: 'Korean',
  zh_CN: 'Chinese',
  zh: 'Chinese',
  de: 'German',
  fr: 'French',
};

/** Display name of a language code (the code itself when unknown). */
export function languageName(code: string): string {
  return LANG_NAMES[code] ?? code;
}

/** perplexity()'s batch here; codes must be encoded at the same one. */
const BATCH = 8;

async function evaluate(
  s: InterventionSetting,
  injection: Injection | null,
  codes: WindowCodes | null,
): Promise<{ ppl: Record<string, number>; tr: Readonly<Record<string, number>> }> {
  const r = await perplexity(s.mid, s.windows, 2, injection, BATCH, codes);
  const ppl = { [s.languages[0]]: r.perLang[0] as number, [s.languages[1]]: r.perLang[1] as number, all: r.overall };
  const tr = s.translate ? await s.translate(injection) : {};
  return { ppl, tr };
}

function collect(samples: readonly Readonly<Record<string, number>>[]): Record<string, Stat> {
  const keys = [...new Set(samples.flatMap((x) => Object.keys(x)))];
  return Object.fromEntries(
    keys.map((k) => [k, meanStd(samples.map((x) => x[k]).filter((v): v is number => v !== undefined))]),
  );
}

/** The 'none' row: the mid model without an injection (perplexity and the translation scorer). */
export async function baselineRow(s: InterventionSetting): Promise<InterventionRow> {
  const base = await evaluate(s, null, null);
  return {
    added: 'none',
    cls: null,
    features: 0,
    available: 0,
    perplexity: collect([base.ppl]),
    translation: collect([base.tr]),
  };
}

/**
 * One intervention setting (alpha, n features): the baseline row, then one row per feature class with
 * mean and spread over `draws` random masks (Table 1; Table 4 repeats it over alpha x n).
 */
export async function interventionRows(
  s: InterventionSetting,
  alpha: number,
  count: number,
  draws: number,
): Promise<InterventionRow[]> {
  const variant = s.variant ?? DEFAULT_VARIANT;
  if (s.baseline !== undefined && s.baseline.cls !== null)
    throw new RangeError(`interventionRows: baseline must be the 'none' row, got '${s.baseline.added}'`);
  // Encoded on first use, so a setting whose injections add nothing (alpha 0, no features) taps nothing.
  let codes: WindowCodes | null = s.codes ?? null;
  const rows: InterventionRow[] = [s.baseline ?? (await baselineRow(s))];
  const plan: [Exclude<FeatureClass, 'dead'>, string][] = [
    ['first', languageName(s.languages[0])],
    ['second', languageName(s.languages[1])],
    ['mixed', 'Bilingual'],
  ];
  for (const [cls, added] of plan) {
    const masks = drawMasks(s.classes, cls, count, draws, s.seed);
    const ppl: Record<string, number>[] = [];
    const tr: Readonly<Record<string, number>>[] = [];
    for (const m of masks) {
      const mask = new Set(m.features);
      if (!codes && alpha !== 0 && (mask.size > 0 || variant.includeBias))
        codes = await encodeWindows(s.full, s.sae, s.layer, s.windows, BATCH);
      const e = await evaluate(s, { full: s.full, sae: s.sae, layer: s.layer, mask, alpha, variant }, codes);
      ppl.push(e.ppl);
      tr.push(e.tr);
    }
    rows.push({
      added,
      cls,
      features: masks[0]?.features.length ?? 0,
      available: masks[0]?.available ?? 0,
      perplexity: collect(ppl),
      translation: collect(tr),
    });
  }
  return rows;
}
