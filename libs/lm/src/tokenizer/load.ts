import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { parseJsonRecord, writeFileAtomic } from '@saetrace/engine';
import { SPECIALS, buildTokenizerConfig, type TokenizerConfigJson, type TokenizerJson } from './format.ts';

export const TOKENIZER_FILE = 'tokenizer.json';
export const CONFIG_FILE = 'tokenizer_config.json';

/** A trained tokenizer loaded through @huggingface/tokenizers. */
export interface LoadedTokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  /** Token ids of text; BOS first only when `addBos` is true (default false). */
  encode(text: string, opts?: { readonly addBos?: boolean }): number[];
  /** Text of ids; specials are dropped unless `keepSpecial` is true. */
  decode(ids: readonly number[], opts?: { readonly keepSpecial?: boolean }): string;
  /** The token string of an id (throws for an id outside the vocabulary). */
  token(id: number): string;
  /** The id of a token string, if it is in the vocabulary. */
  idOf(token: string): number | undefined;
  /** Whether an id is one of the `<0xXX>` byte-fallback tokens. */
  isByte(id: number): boolean;
}

/** Writes tokenizer.json (one merge per line) and tokenizer_config.json into dir, atomically. */
export async function saveTokenizer(dir: string, tokenizer: TokenizerJson, config: TokenizerConfigJson = buildTokenizerConfig()): Promise<void> {
  // JSON strings never hold raw newlines, so this only folds the two-element merge arrays.
  const text = JSON.stringify(tokenizer, null, 2)
    .replace(/\[\n\s+("(?:[^"\\\n]|\\.)*"),\n\s+("(?:[^"\\\n]|\\.)*")\n\s+\]/g, '[$1, $2]');
  await writeFileAtomic(join(dir, TOKENIZER_FILE), `${text}\n`);
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

async function readJsonObject(path: string, optional: boolean): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (optional) return null;
      throw new Error(`tokenizer file not found: ${path}`);
    }
    throw err;
  }
  return parseJsonRecord<Record<string, unknown>>(text, path, 'restore it from where the tokenizer came from (for the committed ones: git checkout -- data/tokenizer)', (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'not a JSON object'));
}

/** Loads dir/tokenizer.json (+ tokenizer_config.json when present); errors name the file at fault. */
export async function loadTokenizer(dir: string): Promise<LoadedTokenizer> {
  const jsonPath = join(dir, TOKENIZER_FILE);
  const json = await readJsonObject(jsonPath, false);
  const config = (await readJsonObject(join(dir, CONFIG_FILE), true)) ?? {};
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json!, config);
  } catch (err) {
    throw new Error(`${jsonPath}: not a loadable tokenizer (${(err as Error).message})`);
  }
  const idOf = (key: string, fallback: string): number => {
    const v = config[key];
    const name = typeof v === 'string' ? v : fallback;
    const id = tok.token_to_id(name);
    if (id === undefined) throw new Error(`${jsonPath}: special token ${JSON.stringify(name)} (${key}) is not in the vocabulary`);
    return id;
  };
  const bosId = idOf('bos_token', SPECIALS.bos);
  const eosId = idOf('eos_token', SPECIALS.eos);
  const padId = idOf('pad_token', SPECIALS.pad);
  const unkId = idOf('unk_token', SPECIALS.unk);
  const vocabSize = tok.get_vocab(true).size;
  const token = (id: number): string => {
    const t = Number.isInteger(id) && id >= 0 && id < vocabSize ? tok.id_to_token(id) : undefined;
    if (t === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${vocabSize})`);
    return t;
  };
  return {
    vocabSize, bosId, eosId, padId, unkId,
    encode(text, opts = {}) {
      return tok.encode(text, { add_special_tokens: opts.addBos === true }).ids;
    },
    decode(ids, opts = {}) {
      if (ids.length === 0) return '';
      for (const id of ids) token(id);
      return tok.decode([...ids], { skip_special_tokens: opts.keepSpecial !== true, clean_up_tokenization_spaces: false });
    },
    token,
    idOf(t) {
      return tok.token_to_id(t);
    },
    isByte(id) {
      return /^<0x[0-9A-F]{2}>$/.test(token(id));
    },
  };
}
