import { Tokenizer } from 'tokenizers';

// Script ranges in Oniguruma `\x{...}` syntax, which the Rust tokenizers crate accepts.
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
 * Splits text into pre-tokens with the very pre-tokenizer that loads tokenizer.json (the `tokenizers`
 * binding's Rust Split, built from a tokenizer.json that holds only it), so training sees exactly the
 * words that encoding will see.
 */
export function createPreTokenizer(): (text: string) => string[] {
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: preTokenizerJson(),
    post_processor: null,
    decoder: null,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: {},
      merges: [],
    },
  };
  const split = Tokenizer.fromString(JSON.stringify(json)).getPreTokenizer();
  if (split === null) throw new Error('createPreTokenizer: the tokenizers binding dropped the Split pre-tokenizer');
  return (text: string) => split.preTokenizeString(text).map(([piece]) => piece);
}
