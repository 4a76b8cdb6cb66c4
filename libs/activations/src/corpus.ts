import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The fields of a corpus document that activations use (interfaces.md item 1). */
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
  let raw: Buffer;
  try {
    raw = gunzipSync(await readFile(path));
  } catch (err) {
    throw new Error(`${path}: cannot read gzip corpus file (${(err as Error).message})`);
  }
  const docs: CorpusDoc[] = [];
  const lines = raw.toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${path}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new Error(`${where}: invalid JSON (${(err as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`${where}: expected a JSON object`);
    const rec = obj as Record<string, unknown>;
    for (const key of ['id', 'lang', 'text'] as const) {
      if (typeof rec[key] !== 'string') throw new Error(`${where}: key '${key}' must be a string`);
    }
    if (rec['lang'] !== lang) throw new Error(`${where}: key 'lang' is '${String(rec['lang'])}', expected '${lang}'`);
    docs.push({ id: rec['id'] as string, lang, text: rec['text'] as string });
  }
  return docs;
}

/** sha256 (hex) of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
