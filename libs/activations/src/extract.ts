import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { removeStaleTemps, tempOwner, writeFileAtomic, writeJsonAtomic } from '@saetrace/engine';
import { STORE_FORMAT, SAETRACE_VERSION, cacheKey, storeDirName, type KeyInputs } from './cache-key.ts';
import { corpusFile, readCorpusDocs, sha256File } from './corpus.ts';
import {
  DOCS_FILE,
  MANIFEST_FILE,
  readDocTable,
  readManifest,
  shardFileName,
  type DocTable,
  type ShardEntry,
  type StoreManifest,
} from './manifest.ts';
import { unitNormRows } from './normalize.ts';
import { ShardError, decodeShard, encodeShard, shardSha256, type StoreDType } from './shard.ts';
import type { TapModel } from './tap-model.ts';
import { WINDOW_TOKENS, selectWindows, type DocWindow } from './windows.ts';

export interface ExtractRequest {
  readonly model: TapModel;
  /** Sites 0..L (libs/lm/src/llama/sites.ts: 0 = embedding output, l = output of block l-1); all from the same forward passes. */
  readonly layers: readonly number[];
  /** A pair's corpus directory, e.g. data/corpus/en-ja. */
  readonly corpusDir: string;
  readonly split: string;
  readonly langs: readonly string[];
  readonly tokensPerLang: number;
  readonly seed: number | string;
  /** Cache root; each layer's store is a subdirectory named by its key. */
  readonly cacheDir: string;
  readonly dtype?: StoreDType;
  /** Documents per shard (default: about 64 MiB of activations per shard). */
  readonly docsPerShard?: number;
  /** Documents per forward call (default 32). Does not change the stored bytes. */
  readonly batchDocs?: number;
  /** Called after each forward batch with documents done and to do in this call (for a progress bar). */
  readonly onProgress?: (docsDone: number, docsTotal: number) => void;
}

export interface ExtractResult {
  /** layer -> store directory. */
  readonly stores: ReadonlyMap<number, string>;
  /** Layers whose complete store was already in the cache. */
  readonly cachedLayers: readonly number[];
  readonly forwardCalls: number;
  /** Shards written by this call, per layer summed. */
  readonly shardsWritten: number;
  /** Shards found complete from an interrupted earlier run and kept. */
  readonly shardsResumed: number;
  readonly docsPerLang: number;
  readonly tokensPerLangStored: number;
}

const SEQ = WINDOW_TOKENS + 1;

function defaultDocsPerShard(d: number, dtype: StoreDType): number {
  return Math.max(1, Math.floor((64 * 2 ** 20) / (WINDOW_TOKENS * d * (dtype === 'float16' ? 2 : 4))));
}

function checkRequest(req: ExtractRequest): void {
  const { model } = req;
  if (req.layers.length === 0) throw new RangeError('extractActivations: layers is empty');
  for (const l of req.layers) {
    if (!Number.isInteger(l) || l < 0 || l > model.numLayers)
      throw new RangeError(
        `extractActivations: layer ${l} is not a site in [0, ${model.numLayers}] (0 = embedding output, l = output of block l-1)`,
      );
  }
  if (new Set(req.layers).size !== req.layers.length)
    throw new RangeError(`extractActivations: layers repeat (${req.layers.join(',')})`);
  if (req.langs.length < 1 || req.langs.length > 255)
    throw new RangeError('extractActivations: langs must name 1..255 languages');
  for (const [k, v] of [
    ['docsPerShard', req.docsPerShard],
    ['batchDocs', req.batchDocs],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new RangeError(`extractActivations: ${k} must be a positive integer, got ${v}`);
  }
}

/**
 * Extracts unit-norm residual activations for every requested layer into keyed, sharded, checksummed
 * stores. Complete stores are reused without touching the model or corpus; an interrupted run resumes
 * from its complete shards.
 */
export async function extractActivations(req: ExtractRequest): Promise<ExtractResult> {
  checkRequest(req);
  const existed = existsSync(req.cacheDir);
  const before = new Set(existed ? await readdir(req.cacheDir) : []);
  try {
    return await extractInto(req);
  } catch (err) {
    await dropUnwritten(req.cacheDir, before, existed);
    throw err;
  }
}

/**
 * After a failed extraction: the store directories it created that hold nothing but their document table
 * (no shard, no manifest, no other process's write in progress) are removed, and the cache root too when it
 * created it and it is empty, so a failed run leaves no empty cache entries behind.
 */
async function dropUnwritten(root: string, before: ReadonlySet<string>, existed: boolean): Promise<void> {
  if (!existsSync(root)) return;
  for (const name of await readdir(root)) {
    if (before.has(name)) continue;
    const dir = join(root, name);
    const files = await readdir(dir).catch(() => null);
    if (files === null || files.some((f) => f !== DOCS_FILE && !(tempOwner(f) === process.pid))) continue;
    await rm(dir, { recursive: true, force: true });
  }
  if (!existed && (await readdir(root)).length === 0) await rm(root, { recursive: true, force: true });
}

/** What keys a request's stores, without the model: its fingerprint and width stand in for it. */
export type StorePlanRequest = Pick<
  ExtractRequest,
  'layers' | 'corpusDir' | 'split' | 'langs' | 'tokensPerLang' | 'seed' | 'cacheDir' | 'dtype' | 'docsPerShard'
> & { readonly fingerprint: string; readonly dModel: number };

/** One layer store a request reads or writes: its key inputs, key and directory. */
export interface PlannedStore {
  readonly layer: number;
  readonly inputs: KeyInputs;
  readonly key: string;
  readonly dir: string;
}

/**
 * The stores an extraction writes, keyed as extractActivations keys them (it calls this): a plan of stages can name
 * them and ask whether they are cached (storeComplete) before any model is loaded.
 */
export async function planStores(req: StorePlanRequest): Promise<PlannedStore[]> {
  const dtype = req.dtype ?? 'float32';
  const docsPerShard = req.docsPerShard ?? defaultDocsPerShard(req.dModel, dtype);
  const corpus: Record<string, string> = {};
  for (const f of req.langs.map((l) => corpusFile(req.corpusDir, req.split, l))) {
    try {
      corpus[basename(f)] = await sha256File(f);
    } catch (err) {
      throw new Error(
        `${f}: cannot read corpus file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  return req.layers.map((layer) => {
    const inputs: KeyInputs = {
      format: STORE_FORMAT,
      saetrace: SAETRACE_VERSION,
      model: req.fingerprint,
      layer,
      split: req.split,
      langs: [...req.langs],
      corpus,
      tokensPerLang: req.tokensPerLang,
      seed: String(req.seed),
      windowTokens: WINDOW_TOKENS,
      bos: 'dropped',
      normalisation: 'unit-l2',
      dtype,
      docsPerShard,
    };
    return { layer, inputs, key: cacheKey(inputs), dir: join(req.cacheDir, storeDirName(inputs)) };
  });
}

/** The manifest of a complete store of this key, or null (absent, partial, or of another key). */
export async function storeComplete(store: Pick<PlannedStore, 'dir' | 'key'>): Promise<StoreManifest | null> {
  const m = await readManifest(store.dir);
  return m !== null && m.key === store.key ? m : null;
}

async function extractInto(req: ExtractRequest): Promise<ExtractResult> {
  const { model } = req;
  const d = model.dModel;
  const batchDocs = req.batchDocs ?? 32;
  const files = req.langs.map((l) => corpusFile(req.corpusDir, req.split, l));
  const planned = await planStores({ ...req, fingerprint: model.fingerprint(), dModel: d });
  const dtype = req.dtype ?? 'float32';
  const docsPerShard = planned[0]!.inputs.docsPerShard;

  const stores = new Map<number, string>();
  const cachedLayers: number[] = [];
  const todo: { layer: number; dir: string; inputs: KeyInputs; key: string }[] = [];
  let cachedManifest: StoreManifest | null = null;
  for (const { layer, inputs, key, dir } of planned) {
    stores.set(layer, dir);
    const m = await readManifest(dir);
    if (m !== null && m.key === key) {
      cachedLayers.push(layer);
      cachedManifest = m;
    } else todo.push({ layer, dir, inputs, key });
  }
  if (todo.length === 0) {
    const m = cachedManifest!;
    return {
      stores,
      cachedLayers,
      forwardCalls: 0,
      shardsWritten: 0,
      shardsResumed: 0,
      docsPerLang: m.docsPerLang,
      tokensPerLangStored: m.docsPerLang * WINDOW_TOKENS,
    };
  }

  const docsByLang = [];
  for (let i = 0; i < files.length; i++) docsByLang.push(await readCorpusDocs(files[i]!, req.langs[i]!));
  const sel = await selectWindows(docsByLang, {
    langs: req.langs,
    tokensPerLang: req.tokensPerLang,
    seed: req.seed,
    bosId: model.bosId,
    encodeBatch: (t) => model.encodeBatch(t),
  });
  if (sel.windows.length === 0)
    throw new Error(`no document of at least ${WINDOW_TOKENS} tokens in every language of ${files.join(', ')}`);
  const windows = sel.windows;
  const numShards = Math.ceil(windows.length / docsPerShard);

  // Per layer: which shards are already complete and valid (resume), which need computing.
  let shardsResumed = 0;
  const done: Map<number, ShardEntry>[] = [];
  for (const t of todo) {
    await mkdir(t.dir, { recursive: true });
    // Temp files left by a write that was killed mid-way are never complete shards; those of a live process
    // (another extraction into this cache) are its work in progress and stay.
    await removeStaleTemps(t.dir);
    const table: DocTable = { key: t.key, ids: windows.map((w) => w.docId), langs: windows.map((w) => w.lang) };
    const old = await readDocTable(t.dir);
    const stale = old === null || old.key !== t.key;
    if (stale) await writeJsonAtomic(join(t.dir, DOCS_FILE), table);
    const have = new Map<number, ShardEntry>();
    if (!stale) {
      for (let s = 0; s < numShards; s++) {
        const file = shardFileName(s);
        const rows = shardDocs(s, docsPerShard, windows.length) * WINDOW_TOKENS;
        const path = join(t.dir, file);
        let sha: string;
        try {
          const buf = await readFile(path);
          decodeShard(path, buf, { rows, d });
          sha = shardSha256(buf);
        } catch (err) {
          // Absent or damaged: recompute it.
          if (err instanceof ShardError || (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        have.set(s, { file, rows, sha256: sha });
        shardsResumed++;
      }
    }
    done.push(have);
  }

  let forwardCalls = 0;
  let shardsWritten = 0;
  const shas: Map<number, string>[] = todo.map(() => new Map());
  for (let s = 0; s < numShards; s++) {
    const need = todo.map((t, i) => (done[i]!.has(s) ? -1 : t.layer)).filter((l) => l >= 0);
    if (need.length === 0) continue;
    const first = s * docsPerShard;
    const n = shardDocs(s, docsPerShard, windows.length);
    const docs = windows.slice(first, first + n);
    const acts = new Map(need.map((l) => [l, new Float32Array(n * WINDOW_TOKENS * d)]));
    for (let b = 0; b < n; b += batchDocs) {
      const batch = docs.slice(b, b + batchDocs);
      const out = await model.tap(packTokens(batch), batch.length, SEQ, need);
      forwardCalls++;
      req.onProgress?.(first + b + batch.length, windows.length);
      for (const l of need) {
        const h = out.get(l);
        if (h === undefined || h.length !== batch.length * SEQ * d) {
          throw new Error(
            `model.tap returned ${h === undefined ? 'no output' : `${h.length} values`} for layer ${l}, expected ${batch.length * SEQ * d}`,
          );
        }
        const dst = acts.get(l)!;
        // Drop position 0 (BOS) of every window.
        for (let w = 0; w < batch.length; w++) {
          const row = h.subarray((w * SEQ + 1) * d, (w + 1) * SEQ * d);
          checkFiniteWindow(row, d, model, l, batch[w]!, req.langs);
          dst.set(row, (b + w) * WINDOW_TOKENS * d);
        }
      }
    }
    const meta = shardMeta(docs, first);
    for (const l of need) {
      const x = unitNormRows(acts.get(l)!, n * WINDOW_TOKENS, d);
      const bytes = encodeShard({ rows: n * WINDOW_TOKENS, d, x, ...meta }, dtype);
      const i = todo.findIndex((t) => t.layer === l);
      await writeFileAtomic(join(todo[i]!.dir, shardFileName(s)), bytes);
      shas[i]!.set(s, shardSha256(bytes));
      shardsWritten++;
    }
  }

  for (let i = 0; i < todo.length; i++) {
    const t = todo[i]!;
    const shards: ShardEntry[] = [];
    for (let s = 0; s < numShards; s++) {
      const rows = shardDocs(s, docsPerShard, windows.length) * WINDOW_TOKENS;
      const sha = shas[i]!.get(s) ?? done[i]!.get(s)!.sha256;
      shards.push({ file: shardFileName(s), rows, sha256: sha });
    }
    const manifest: StoreManifest = {
      format: STORE_FORMAT,
      key: t.key,
      inputs: t.inputs,
      layer: t.layer,
      d,
      dtype,
      langs: [...req.langs],
      windowTokens: WINDOW_TOKENS,
      docsPerLang: sel.docsPerLang,
      numDocs: windows.length,
      rows: windows.length * WINDOW_TOKENS,
      shards,
    };
    await writeJsonAtomic(join(t.dir, MANIFEST_FILE), manifest);
  }
  return {
    stores,
    cachedLayers,
    forwardCalls,
    shardsWritten,
    shardsResumed,
    docsPerLang: sel.docsPerLang,
    tokensPerLangStored: sel.docsPerLang * WINDOW_TOKENS,
  };
}

/**
 * A non-finite activation is caught here, naming the checkpoint, layer and document, rather than as a NaN
 * loss somewhere in SAE training (libs/sae/src/trainer.ts checkFinite) with only a batch number to go on.
 */
function checkFiniteWindow(
  x: Float32Array,
  d: number,
  model: TapModel,
  layer: number,
  doc: DocWindow,
  langs: readonly string[],
): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (Number.isFinite(v)) continue;
    throw new Error(
      `${model.source ?? `model ${model.fingerprint()}`}: layer ${layer} gives the non-finite activation ${v} on document '${doc.docId}' (${langs[doc.lang] ?? doc.lang}) at token ${Math.floor(i / d) + 1} of its window, dimension ${i % d}; the checkpoint's weights or its forward pass overflow there: check that checkpoint (its weights load only when finite) or leave it out of the spec's checkpoints`,
    );
  }
}

function shardDocs(s: number, docsPerShard: number, total: number): number {
  return Math.min(docsPerShard, total - s * docsPerShard);
}

function packTokens(batch: readonly DocWindow[]): Int32Array {
  const t = new Int32Array(batch.length * SEQ);
  batch.forEach((w, i) => t.set(w.tokens, i * SEQ));
  return t;
}

function shardMeta(
  docs: readonly DocWindow[],
  firstDoc: number,
): { tokenIds: Int32Array; docIds: Int32Array; positions: Int32Array; langs: Uint8Array } {
  const rows = docs.length * WINDOW_TOKENS;
  const tokenIds = new Int32Array(rows);
  const docIds = new Int32Array(rows);
  const positions = new Int32Array(rows);
  const langs = new Uint8Array(rows);
  docs.forEach((w, i) => {
    for (let p = 0; p < WINDOW_TOKENS; p++) {
      const r = i * WINDOW_TOKENS + p;
      tokenIds[r] = w.tokens[p + 1]!;
      docIds[r] = firstDoc + i;
      positions[r] = p;
      langs[r] = w.lang;
    }
  });
  return { tokenIds, docIds, positions, langs };
}
