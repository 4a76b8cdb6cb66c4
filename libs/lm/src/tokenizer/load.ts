import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { parseJsonRecord, writeFileAtomic } from '@saetrace/engine';
import { SPECIALS, buildTokenizerConfig, type TokenizerConfigJson, type TokenizerJson } from './format.ts';

export const TOKENIZER_FILE = 'tokenizer.json';
export const CONFIG_FILE = 'tokenizer_config.json';

/**
 * A tokenizer.json loaded through `tokenizers`, Hugging Face's Node binding of its Rust core, so ids equal
 * Python `tokenizers`' by construction. The binding encodes only asynchronously (its index.d.ts has no
 * sync encode), hence the promises; corpora go through encodeBatch in one native call. Decoding stays
 * synchronous: it is the Rust Tokenizer::decode steps (drop specials, ids to tokens, the decoder) on the
 * binding's synchronous Decoder, checked against the binding's async decode in load.test.ts.
 */
export interface LoadedTokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  /** Token ids of text; BOS first only when `addBos` is true (default false). */
  encode(text: string, opts?: { readonly addBos?: boolean }): Promise<number[]>;
  /** Token ids of each text, in order (one batched native call). */
  encodeBatch(texts: readonly string[], opts?: { readonly addBos?: boolean }): Promise<number[][]>;
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
export async function saveTokenizer(
  dir: string,
  tokenizer: TokenizerJson,
  config: TokenizerConfigJson = buildTokenizerConfig(),
): Promise<void> {
  // JSON strings never hold raw newlines, so this only folds the two-element merge arrays.
  const text = JSON.stringify(tokenizer, null, 2).replace(
    /\[\n\s+("(?:[^"\\\n]|\\.)*"),\n\s+("(?:[^"\\\n]|\\.)*")\n\s+\]/g,
    '[$1, $2]',
  );
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
  return parseJsonRecord<Record<string, unknown>>(
    text,
    path,
    'restore it from where the tokenizer came from (for the committed ones: git checkout -- data/tokenizer)',
    (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'not a JSON object'),
  );
}

// serde names the enum it failed on (e.g. "untagged enum NormalizerUntagged"); map it to the JSON key.
const SERDE_COMPONENT: readonly (readonly [RegExp, string])[] = [
  [/Normalizer/, 'normalizer'],
  [/PreTokenizer/, 'pre_tokenizer'],
  [/PostProcessor|Processor/, 'post_processor'],
  [/Decoder/, 'decoder'],
  [/Model/, 'model'],
  [/AddedToken/, 'added_tokens'],
];

/** The tokenizer.json component a binding error is about, with its `type` when it has one. */
function componentOf(json: Record<string, unknown>, message: string): string {
  const key = SERDE_COMPONENT.find(([re]) => re.test(message))?.[1];
  if (key === undefined) return 'a component';
  const v = json[key];
  const type =
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>).type : undefined;
  return typeof type === 'string' ? `${key} (${type})` : key;
}

/** Loads dir/tokenizer.json (+ tokenizer_config.json when present); errors name the file at fault. */
export async function loadTokenizer(dir: string): Promise<LoadedTokenizer> {
  const jsonPath = join(dir, TOKENIZER_FILE);
  const json = (await readJsonObject(jsonPath, false))!;
  const config = (await readJsonObject(join(dir, CONFIG_FILE), true)) ?? {};
  let tok: Tokenizer;
  try {
    tok = Tokenizer.fromString(JSON.stringify(json));
  } catch (err) {
    const message = (err as Error).message;
    throw new Error(
      `${jsonPath}: not a loadable tokenizer, ${componentOf(json, message)} rejected by the tokenizers binding (${message})`,
    );
  }
  const idOf = (key: string, fallback: string): number => {
    const v = config[key];
    const name = typeof v === 'string' ? v : fallback;
    const id = tok.tokenToId(name);
    if (id === null)
      throw new Error(`${jsonPath}: special token ${JSON.stringify(name)} (${key}) is not in the vocabulary`);
    return id;
  };
  const bosId = idOf('bos_token', SPECIALS.bos);
  const eosId = idOf('eos_token', SPECIALS.eos);
  const padId = idOf('pad_token', SPECIALS.pad);
  const unkId = idOf('unk_token', SPECIALS.unk);
  const vocabSize = tok.getVocabSize(true);
  const decoder = tok.getDecoder();
  const specials = new Set<string>();
  for (const a of Array.isArray(json.added_tokens) ? (json.added_tokens as unknown[]) : []) {
    const o = a as { content?: unknown; special?: unknown };
    if (o.special === true && typeof o.content === 'string') specials.add(o.content);
  }
  const token = (id: number): string => {
    const t = Number.isInteger(id) && id >= 0 && id < vocabSize ? tok.idToToken(id) : null;
    if (t === null) throw new RangeError(`token id ${id} is outside the vocabulary (size ${vocabSize})`);
    return t;
  };
  return {
    vocabSize,
    bosId,
    eosId,
    padId,
    unkId,
    async encode(text, opts = {}) {
      return (await tok.encode(text, null, { addSpecialTokens: opts.addBos === true })).getIds();
    },
    async encodeBatch(texts, opts = {}) {
      if (texts.length === 0) return [];
      const encs = await tok.encodeBatch([...texts], { addSpecialTokens: opts.addBos === true });
      return encs.map((e) => e.getIds());
    },
    decode(ids, opts = {}) {
      if (ids.length === 0) return '';
      const tokens: string[] = [];
      for (const id of ids) {
        const t = token(id);
        if (opts.keepSpecial === true || !specials.has(t)) tokens.push(t);
      }
      return decoder ? decoder.decode(tokens) : tokens.join(' ');
    },
    token,
    idOf(t) {
      return tok.tokenToId(t) ?? undefined;
    },
    isByte(id) {
      return /^<0x[0-9A-F]{2}>$/.test(token(id));
    },
  };
}
