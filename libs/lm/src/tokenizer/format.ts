import { preTokenizerJson, type SplitPreTokenizerJson } from './pretokenize.ts';

/** Special tokens and their fixed ids (shared contract, data/tokenizer/<pair>/tokenizer_config.json). */
export const SPECIALS = { pad: '<pad>', bos: '<s>', eos: '</s>', unk: '<unk>' } as const;
export const SPECIAL_TOKENS: readonly string[] = [SPECIALS.pad, SPECIALS.bos, SPECIALS.eos, SPECIALS.unk];
export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;

/** `<0x00>` … `<0xFF>`: the byte-fallback tokens, ids 4..259. */
export const BYTE_TOKENS: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`,
);
export const FIRST_BYTE_ID = SPECIAL_TOKENS.length;
export const FIRST_CHAR_ID = FIRST_BYTE_ID + BYTE_TOKENS.length;

export interface AddedTokenJson {
  readonly id: number;
  readonly content: string;
  readonly single_word: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly normalized: boolean;
  readonly special: boolean;
}

type TemplatePiece =
  | { readonly SpecialToken: { readonly id: string; readonly type_id: number } }
  | { readonly Sequence: { readonly id: 'A' | 'B'; readonly type_id: number } };

/** The subset of the Hugging Face tokenizer.json schema that this trainer writes. */
export interface TokenizerJson {
  readonly version: '1.0';
  readonly truncation: null;
  readonly padding: null;
  readonly added_tokens: readonly AddedTokenJson[];
  readonly normalizer: null;
  readonly pre_tokenizer: SplitPreTokenizerJson;
  readonly post_processor: {
    readonly type: 'TemplateProcessing';
    readonly single: readonly TemplatePiece[];
    readonly pair: readonly TemplatePiece[];
    readonly special_tokens: Readonly<
      Record<string, { readonly id: string; readonly ids: readonly number[]; readonly tokens: readonly string[] }>
    >;
  };
  readonly decoder: {
    readonly type: 'Sequence';
    readonly decoders: readonly { readonly type: 'ByteFallback' | 'Fuse' }[];
  };
  readonly model: {
    readonly type: 'BPE';
    readonly dropout: null;
    readonly unk_token: string;
    readonly continuing_subword_prefix: null;
    readonly end_of_word_suffix: null;
    readonly fuse_unk: boolean;
    readonly byte_fallback: true;
    readonly ignore_merges: false;
    readonly vocab: Readonly<Record<string, number>>;
    readonly merges: readonly (readonly [string, string])[];
  };
}

/** tokenizer_config.json as transformers writes it for a BOS-prefixing fast tokenizer. */
export interface TokenizerConfigJson {
  readonly tokenizer_class: 'PreTrainedTokenizerFast';
  readonly bos_token: string;
  readonly eos_token: string;
  readonly pad_token: string;
  readonly unk_token: string;
  readonly add_bos_token: true;
  readonly add_eos_token: false;
  readonly clean_up_tokenization_spaces: false;
  readonly model_max_length: number;
  readonly added_tokens_decoder: Readonly<Record<string, Omit<AddedTokenJson, 'id'>>>;
}

function addedTokens(): AddedTokenJson[] {
  return SPECIAL_TOKENS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

/**
 * Assembles tokenizer.json: no normalizer (text round-trips exactly), the script-aware Split
 * pre-tokenizer, byte-fallback BPE, a BOS-prefixing template and a ByteFallback+Fuse decoder.
 */
export function buildTokenizerJson(
  vocab: readonly string[],
  merges: readonly (readonly [string, string])[],
): TokenizerJson {
  for (let i = 0; i < SPECIAL_TOKENS.length; i++) {
    if (vocab[i] !== SPECIAL_TOKENS[i])
      throw new Error(`vocab[${i}] must be ${SPECIAL_TOKENS[i]}, got ${String(vocab[i])}`);
  }
  const vocabObj: Record<string, number> = {};
  vocab.forEach((t, i) => {
    if (Object.hasOwn(vocabObj, t))
      throw new Error(`duplicate vocabulary entry ${JSON.stringify(t)} at ids ${vocabObj[t]} and ${i}`);
    vocabObj[t] = i;
  });
  const bos = { SpecialToken: { id: SPECIALS.bos, type_id: 0 } } as const;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(),
    normalizer: null,
    pre_tokenizer: preTokenizerJson(),
    post_processor: {
      type: 'TemplateProcessing',
      single: [bos, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        bos,
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: SPECIALS.bos, type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [SPECIALS.bos]: { id: SPECIALS.bos, ids: [BOS_ID], tokens: [SPECIALS.bos] } },
    },
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: SPECIALS.unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: vocabObj,
      merges,
    },
  };
}

export function buildTokenizerConfig(modelMaxLength = 2048): TokenizerConfigJson {
  const decoder: Record<string, Omit<AddedTokenJson, 'id'>> = {};
  for (const { id, ...rest } of addedTokens()) decoder[String(id)] = rest;
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: SPECIALS.bos,
    eos_token: SPECIALS.eos,
    pad_token: SPECIALS.pad,
    unk_token: SPECIALS.unk,
    add_bos_token: true,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    added_tokens_decoder: decoder,
  };
}
