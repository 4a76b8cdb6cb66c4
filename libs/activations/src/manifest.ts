import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseJsonRecord } from '@saetrace/engine';
import { STORE_FORMAT, type KeyInputs } from './cache-key.ts';
import type { StoreDType } from './shard.ts';

export interface ShardEntry {
  readonly file: string;
  readonly rows: number;
  readonly sha256: string;
}

/** manifest.json of a complete layer store; it is written last, so its presence marks completion. */
export interface StoreManifest {
  readonly format: string;
  readonly key: string;
  readonly inputs: KeyInputs;
  readonly layer: number;
  readonly d: number;
  readonly dtype: StoreDType;
  readonly langs: readonly string[];
  readonly windowTokens: number;
  readonly docsPerLang: number;
  readonly numDocs: number;
  readonly rows: number;
  readonly shards: readonly ShardEntry[];
}

/** docs.json: the store's document table; docIds in shards index these arrays. */
export interface DocTable {
  readonly key: string;
  readonly ids: readonly string[];
  readonly langs: readonly number[];
}

export const MANIFEST_FILE = 'manifest.json';
export const DOCS_FILE = 'docs.json';

export function shardFileName(i: number): string {
  return `shard-${String(i).padStart(5, '0')}.bin`;
}

async function readJson(path: string): Promise<unknown | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseJsonRecord<unknown>(text, path, `delete ${dirname(path)} (the activation store is extracted again)`);
}

/** The store's manifest, or null when the store is absent or incomplete. Malformed manifests throw naming the file. */
export async function readManifest(dir: string): Promise<StoreManifest | null> {
  const path = join(dir, MANIFEST_FILE);
  const m = await readJson(path);
  if (m === null) return null;
  const r = m as Partial<StoreManifest>;
  if (r.format !== STORE_FORMAT) throw new Error(`${path}: format '${String(r.format)}' is not ${STORE_FORMAT}`);
  if (
    typeof r.key !== 'string' ||
    !Number.isInteger(r.d) ||
    !Number.isInteger(r.rows) ||
    !Array.isArray(r.shards) ||
    !Array.isArray(r.langs)
  ) {
    throw new Error(`${path}: malformed manifest (key, d, rows, shards and langs required)`);
  }
  return r as StoreManifest;
}

export async function readDocTable(dir: string): Promise<DocTable | null> {
  const path = join(dir, DOCS_FILE);
  const t = await readJson(path);
  if (t === null) return null;
  const r = t as Partial<DocTable>;
  if (
    typeof r.key !== 'string' ||
    !Array.isArray(r.ids) ||
    !Array.isArray(r.langs) ||
    r.ids.length !== r.langs.length
  ) {
    throw new Error(`${path}: malformed document table`);
  }
  return r as DocTable;
}
