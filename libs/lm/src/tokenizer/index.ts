export {
  trainTokenizer,
  trainTokenizerDetailed,
  selectCharacters,
  type TrainOptions,
  type TrainStats,
  type TrainResult,
} from './train.ts';
export { loadTokenizer, saveTokenizer, TOKENIZER_FILE, CONFIG_FILE, type LoadedTokenizer } from './load.ts';
export {
  SPECIALS,
  SPECIAL_TOKENS,
  PAD_ID,
  BOS_ID,
  EOS_ID,
  UNK_ID,
  BYTE_TOKENS,
  FIRST_CHAR_ID,
  buildTokenizerJson,
  buildTokenizerConfig,
  type TokenizerJson,
  type TokenizerConfigJson,
} from './format.ts';
export { PRE_TOKEN_REGEX, createPreTokenizer } from './pretokenize.ts';
export { learnBpe, type BpeInput, type BpeResult } from './bpe.ts';
export { measureTokenizer, type TokenizerMeasures } from './measure.ts';
export { pairLanguages, pairDocuments } from './corpus.ts';
export { renderPairReport, upsertReportSection, type TrainingRecord } from './report.ts';
export type { LanguageMeasures } from './measure.ts';
