import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DELETE_CACHE, fields, isNumber, readJsonRecord, writeFileAtomic, type Rng } from '@saetrace/engine';
import type { LoadedTokenizer } from '../tokenizer/index.ts';
import { readDocuments, readParallel } from './corpus.ts';
import { bilingualDocument, packWindows } from './packing.ts';

export interface TrainingTokens {
  /** Windows [count * seqLen], each a slice of the shuffled BOS/EOS-delimited document stream. */
  readonly windows: Int32Array;
  readonly count: number;
  readonly seqLen: number;
  readonly documents: number;
  readonly bilingualDocuments: number;
  readonly key: string;
}

/**
 * Tokenises the training documents of both languages plus a share of parallel-train pairs written as
 * bilingual documents, shuffles documents with the seed, and packs windows of seqLen tokens. The result is
 * cached under cacheDir, keyed by the tokenizer, corpus manifest, languages, share, seqLen and seed.
 */
export async function trainingTokens(options: {
  readonly corpusDir: string;
  readonly languages: readonly [string, string];
  readonly tokenizer: LoadedTokenizer;
  readonly tokenizerKey: string;
  readonly seqLen: number;
  readonly parallelShare: number;
  readonly rng: Rng;
  readonly cacheDir: string;
}): Promise<TrainingTokens> {
  const manifestPath = join(options.corpusDir, 'manifest.json');
  const manifest = existsSync(manifestPath) ? readFileSync(manifestPath) : Buffer.from('no-manifest');
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        v: 1,
        tok: options.tokenizerKey,
        corpus: createHash('sha256').update(manifest).digest('hex'),
        langs: options.languages,
        share: options.parallelShare,
        seqLen: options.seqLen,
        seed: options.rng.seed,
      }),
    )
    .digest('hex')
    .slice(0, 24);
  const file = join(options.cacheDir, `tokens-${key}.bin`);
  const meta = join(options.cacheDir, `tokens-${key}.json`);
  if (existsSync(file) && existsSync(meta)) {
    const m = readJsonRecord<{ count: number; documents: number; bilingualDocuments: number }>(
      meta,
      DELETE_CACHE(`${meta} and ${file}`),
      fields({ count: isNumber, documents: isNumber, bilingualDocuments: isNumber }),
    );
    const buf = readFileSync(file);
    const windows = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    if (windows.length === m.count * options.seqLen)
      return {
        windows: Int32Array.from(windows),
        count: m.count,
        seqLen: options.seqLen,
        documents: m.documents,
        bilingualDocuments: m.bilingualDocuments,
        key,
      };
  }
  const docs: string[] = [];
  for (const lang of options.languages)
    for await (const d of readDocuments(options.corpusDir, 'train', lang)) docs.push(d.text);
  const mono = docs.length;
  const pairs: string[] = [];
  const flipRng = options.rng.stream('flip');
  if (options.parallelShare > 0 && existsSync(join(options.corpusDir, 'parallel-train.jsonl.gz'))) {
    for await (const p of readParallel(options.corpusDir, 'train')) {
      const a = p.text[options.languages[0]];
      const b = p.text[options.languages[1]];
      if (a && b) pairs.push(bilingualDocument(a, b, flipRng.next() < 0.5));
    }
  }
  // share = bilingual / all documents; group pairs into documents of about eight pairs each.
  const wantedBilingual = Math.floor((options.parallelShare * mono) / (1 - options.parallelShare));
  const group = 8;
  const chosen = options.rng.stream('pairs').sample(pairs.length, Math.min(pairs.length, wantedBilingual * group));
  let bilingual = 0;
  for (let i = 0; i < chosen.length; i += group) {
    docs.push(
      chosen
        .slice(i, i + group)
        .map((j) => pairs[j] as string)
        .join('\n'),
    );
    bilingual++;
  }
  options.rng.stream('docs').shuffle(docs);
  const packed = packWindows(
    await options.tokenizer.encodeBatch(docs),
    options.seqLen,
    options.tokenizer.bosId,
    options.tokenizer.eosId,
  );
  await writeFileAtomic(
    file,
    new Uint8Array(packed.windows.buffer, packed.windows.byteOffset, packed.windows.byteLength),
  );
  await writeFileAtomic(
    meta,
    JSON.stringify({
      count: packed.count,
      documents: docs.length,
      bilingualDocuments: bilingual,
      tokens: packed.tokens,
    }),
  );
  return {
    windows: packed.windows,
    count: packed.count,
    seqLen: options.seqLen,
    documents: docs.length,
    bilingualDocuments: bilingual,
    key,
  };
}
