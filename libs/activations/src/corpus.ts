import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/** The fields of a corpus document that activations use (the corpus format of data/corpus/README.md). */
export interface CorpusDoc {
  readonly id: string;
  readonly lang: string;
  readonly text: string;
}

/** Path of one split/language document file inside a pair's corpus directory. */
export function corpusFile(corpusDir: string, split: string, lang: string): string {
  return join(corpusDir, `${split}.${lang}.jsonl.gz`);
}

/**
 * Reads a gzip JSONL document file. Every line must be an object with string id, lang (equal to
 * `lang`) and text; a bad line throws naming file and line, so a broken corpus never yields partial data.
 */
export async function readCorpusDocs(path: string, lang: string): Promise<CorpusDoc[]> {
  const docs: CorpusDoc[] = [];
  // Streamed line by line: a large corpus file never has to fit in one string.
  const src = createReadStream(path);
  const gz = createGunzip();
  src.on('error', (err) => gz.destroy(err)); // pipe() does not forward a read error
  const lines = createInterface({ input: src.pipe(gz), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      const line = raw.trim();
      if (line !== '') docs.push(parseLine(line, `${path}:${n}`, lang));
    }
  } catch (err) {
    if (err instanceof CorpusLineError) throw err;
    throw new Error(`${path}: cannot read gzip corpus file (${(err as Error).message})`);
  } finally {
    src.destroy();
    gz.destroy();
  }
  return docs;
}

class CorpusLineError extends Error {}

function parseLine(line: string, where: string, lang: string): CorpusDoc {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    throw new CorpusLineError(`${where}: invalid JSON (${(err as Error).message})`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new CorpusLineError(`${where}: expected a JSON object`);
  const rec = obj as Record<string, unknown>;
  for (const key of ['id', 'lang', 'text'] as const) {
    if (typeof rec[key] !== 'string') throw new CorpusLineError(`${where}: key '${key}' must be a string`);
  }
  if (rec['lang'] !== lang)
    throw new CorpusLineError(`${where}: key 'lang' is '${String(rec['lang'])}', expected '${lang}'`);
  return { id: rec['id'] as string, lang, text: rec['text'] as string };
}

/** sha256 (hex) of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
