import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface FixtureDoc {
  readonly id: string;
  readonly text: string;
}

/** Writes `<dir>/<split>.<lang>.jsonl.gz` in the corpus format of the corpus format of data/corpus/README.md (for tests). */
export function writeFixtureDocs(dir: string, split: string, lang: string, docs: readonly FixtureDoc[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${split}.${lang}.jsonl.gz`);
  const lines = docs.map((d) =>
    JSON.stringify({ id: d.id, lang, text: d.text, package: 'fixture', licence: 'CC0-1.0', source: 'test' }),
  );
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
  return path;
}

/**
 * Deterministic documents: doc i has `lengths[i % lengths.length]` characters, drawn from `alphabet`
 * by a simple congruential walk, so every doc differs.
 */
export function fixtureDocs(prefix: string, count: number, lengths: readonly number[], alphabet: string): FixtureDoc[] {
  const chars = Array.from(alphabet);
  return Array.from({ length: count }, (_, i) => {
    const len = lengths[i % lengths.length]!;
    let s = '';
    let v = i * 7919 + 17;
    for (let k = 0; k < len; k++) {
      v = (v * 1103515245 + 12345) % 2147483648;
      s += chars[v % chars.length];
    }
    return { id: `${prefix}-${i}`, text: s };
  });
}
