import * as hf from '@huggingface/tokenizers';

// The package exports SplitPreTokenizer at run time, but its bundled typings re-export it through an
// extensionless path that NodeNext resolution drops, so the constructor is typed here.
type SplitCtor = new (config: SplitPreTokenizerJson) => { pre_tokenize_text(text: string): string[] };

// Script ranges in Oniguruma `\x{...}` syntax, which both the Rust tokenizers crate and
// @huggingface/tokenizers (translating to JS `u` mode) accept.
const HAN = '\\x{3005}\\x{3007}\\x{303B}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{F900}-\\x{FAFF}\\x{20000}-\\x{2FA1F}';
const HIRAGANA = '\\x{3041}-\\x{309F}';
const KATAKANA = '\\x{30A0}-\\x{30FF}\\x{31F0}-\\x{31FF}\\x{FF66}-\\x{FF9F}';
const HANGUL = '\\x{1100}-\\x{11FF}\\x{3130}-\\x{318F}\\x{AC00}-\\x{D7AF}';

/**
 * Pre-token pattern: every character of the input falls in exactly one match, so the split is lossless.
 * Japanese has no spaces, so it is split into script runs (kanji / hiragana / katakana), which keeps
 * merges inside one script (compounds, okurigana, loanwords). Other letters form words; an optional
 * leading space is attached to the word after it; digits stand alone; punctuation runs; whitespace
 * runs leave their last space to the next word (GPT-2 style).
 */
export const PRE_TOKEN_REGEX = [
  ` ?[${HAN}]+`,
  ` ?[${HIRAGANA}]+`,
  ` ?[${KATAKANA}]+`,
  ` ?[${HANGUL}]+`,
  ` ?[^\\s\\p{N}\\p{P}\\p{S}\\p{C}\\p{Z}${HAN}${HIRAGANA}${KATAKANA}${HANGUL}]+`,
  ' ?\\p{N}',
  ' ?[^\\s\\p{L}\\p{N}]+',
  '\\s+(?!\\S)',
  '\\s+',
].join('|');

/** The pre_tokenizer section of tokenizer.json. */
export interface SplitPreTokenizerJson {
  readonly type: 'Split';
  readonly pattern: { readonly Regex: string };
  readonly behavior: 'Isolated';
  readonly invert: false;
}

export function preTokenizerJson(): SplitPreTokenizerJson {
  return { type: 'Split', pattern: { Regex: PRE_TOKEN_REGEX }, behavior: 'Isolated', invert: false };
}

/**
 * Splits text into pre-tokens with the very pre-tokenizer class that loads tokenizer.json, so training
 * sees exactly the words that encoding will see.
 */
export function createPreTokenizer(): (text: string) => string[] {
  const Split = (hf as unknown as { SplitPreTokenizer?: SplitCtor }).SplitPreTokenizer;
  if (Split === undefined) throw new Error('@huggingface/tokenizers does not export SplitPreTokenizer');
  const split = new Split(preTokenizerJson());
  return (text: string) => split.pre_tokenize_text(text);
}
