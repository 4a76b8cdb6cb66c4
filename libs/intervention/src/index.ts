export type { InjectableModel, SaeCodec, TopKCodes, InjectionVariant } from './types.ts';
export { DEFAULT_VARIANT } from './types.ts';
export { decodeDelta, encodeRows, injectionDelta, windowInjectionDelta, type EncodedRows } from './delta.ts';
export { decodeInjector } from './decode-injector.ts';
export { drawMasks, type FeatureClass, type FeatureMask } from './masks.ts';
export {
  encodeWindows,
  perplexity,
  nll,
  type EvalWindows,
  type Injection,
  type PerplexityResult,
  type WindowCodes,
} from './perplexity.ts';
export { meanStd } from './summary.ts';
export {
  baselineRow,
  interventionRows,
  languageName,
  type InterventionRow,
  type InterventionSetting,
  type Stat,
  type TranslationScorer,
} from './table.ts';
export { referencePerplexity, scoredSequence, type ReferenceNll, type ScoredSequence } from './reference.ts';
