import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/** One monolingual document of the committed corpus (data/corpus/<pair>/<split>.<lang>.jsonl.gz). */
export interface CorpusDocument {
  readonly id: string;
  readonly lang: string;
  readonly text: string;
  readonly package: string;
  readonly licence: string;
}

/** One translation pair (data/corpus/<pair>/parallel-<split>.jsonl.gz); `text` maps language code to text. */
export interface ParallelPair {
  readonly id: string;
  readonly package: string;
  readonly licence: string;
  readonly text: Readonly<Record<string, string>>;
}

/** Streams the JSON lines of a gzip file; a malformed line is an error naming the file and line. */
export async function* readJsonlGz(path: string): AsyncGenerator<unknown> {
  if (!existsSync(path)) throw new Error(`corpus file not found: ${path}`);
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as unknown;
    } catch (err) {
      throw new Error(`${path}:${n}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The documents of one split and language, validated field by field. */
export async function* readDocuments(pairDir: string, split: string, lang: string): AsyncGenerator<CorpusDocument> {
  const path = join(pairDir, `${split}.${lang}.jsonl.gz`);
  let n = 0;
  for await (const rec of readJsonlGz(path)) {
    n++;
    if (!isObject(rec) || typeof rec.id !== 'string' || typeof rec.text !== 'string' || typeof rec.lang !== 'string') {
      throw new Error(`${path}: record ${n} lacks string fields id, lang and text`);
    }
    yield {
      id: rec.id,
      lang: rec.lang,
      text: rec.text,
      package: String(rec.package ?? ''),
      licence: String(rec.licence ?? ''),
    };
  }
}

/** The translation pairs of one split ('dev' or 'test'). */
export async function* readParallel(pairDir: string, split: string): AsyncGenerator<ParallelPair> {
  const path = join(pairDir, `parallel-${split}.jsonl.gz`);
  let n = 0;
  for await (const rec of readJsonlGz(path)) {
    n++;
    if (!isObject(rec) || typeof rec.id !== 'string' || !isObject(rec.text))
      throw new Error(`${path}: record ${n} lacks fields id and text`);
    const text: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec.text)) if (typeof v === 'string') text[k] = v;
    yield { id: rec.id, package: String(rec.package ?? ''), licence: String(rec.licence ?? ''), text };
  }
}
