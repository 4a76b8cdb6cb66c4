import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TensorData } from '../graph/types.ts';
import { parseJsonRecord, RecordError } from '../io/records.ts';
import { ST_DTYPES, decodeTensor, isStDType, type StDType } from './dtype.ts';

/** A safetensors file or index that is malformed, truncated or disagrees with itself; names the file (and tensor). */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  constructor(
    readonly file: string,
    detail: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor !== undefined ? ` (tensor '${tensor}')` : ''}: ${detail}`);
  }
}

export interface TensorEntry {
  readonly name: string;
  readonly dtype: StDType;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file. */
  readonly begin: number;
  readonly end: number;
}

/** An open safetensors file: header parsed and checked; tensors read one at a time on demand. */
export interface SafetensorsFile {
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly entries: ReadonlyMap<string, TensorEntry>;
  read(name: string): Promise<TensorData>;
  close(): Promise<void>;
}

const MAX_HEADER = 100 * 2 ** 20;

function parseHeader(
  path: string,
  text: string,
  dataStart: number,
  fileSize: number,
): { metadata: Record<string, string>; entries: Map<string, TensorEntry> } {
  let json: unknown;
  try {
    json = parseJsonRecord<unknown>(text, path, '');
  } catch (err) {
    throw new SafetensorsError(path, `header ${(err as RecordError).detail}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new SafetensorsError(path, 'header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries = new Map<string, TensorEntry>();
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null) throw new SafetensorsError(path, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(path, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof r !== 'object' || r === null) throw new SafetensorsError(path, 'entry is not an object', name);
    if (typeof r.dtype !== 'string' || !isStDType(r.dtype))
      throw new SafetensorsError(
        path,
        `unsupported dtype ${JSON.stringify(r.dtype)} (supported: ${Object.keys(ST_DTYPES).join(', ')})`,
        name,
      );
    if (!Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new SafetensorsError(path, `shape ${JSON.stringify(r.shape)} is not a list of non-negative integers`, name);
    const off = r.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((x) => Number.isInteger(x) && x >= 0) ||
      off[1] < off[0]
    ) {
      throw new SafetensorsError(path, `data_offsets ${JSON.stringify(off)} are not [begin, end]`, name);
    }
    const shape = r.shape as number[];
    const expected = shape.reduce((a, b) => a * b, 1) * ST_DTYPES[r.dtype];
    const [b, e] = off as [number, number];
    if (e - b !== expected)
      throw new SafetensorsError(
        path,
        `shape [${shape.join(',')}] of ${r.dtype} needs ${expected} bytes but data_offsets span ${e - b}`,
        name,
      );
    if (dataStart + e > fileSize)
      throw new SafetensorsError(path, `file is truncated: tensor ends at byte ${dataStart + e} of ${fileSize}`, name);
    entries.set(name, { name, dtype: r.dtype, shape, begin: dataStart + b, end: dataStart + e });
  }
  checkLayout(path, entries, dataStart, fileSize);
  return { metadata, entries };
}

/**
 * The format's rule for the data region (huggingface/safetensors README, "Format"): tensors' byte ranges may
 * not overlap and must cover the region from its first byte to the end of the file without holes, so no two
 * tensors alias one another's bytes and no unindexed bytes ride along.
 */
function checkLayout(
  path: string,
  entries: ReadonlyMap<string, TensorEntry>,
  dataStart: number,
  fileSize: number,
): void {
  const sorted = [...entries.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = dataStart;
  let prev: TensorEntry | null = null;
  for (const e of sorted) {
    const rel = (x: number) => x - dataStart;
    if (e.begin < at)
      throw new SafetensorsError(
        path,
        `byte ranges overlap: '${prev?.name}' [${rel((prev as TensorEntry).begin)}, ${rel((prev as TensorEntry).end)}) and '${e.name}' [${rel(e.begin)}, ${rel(e.end)})`,
        e.name,
      );
    if (e.begin > at)
      throw new SafetensorsError(
        path,
        `hole in the data region: bytes [${rel(at)}, ${rel(e.begin)}) ${prev ? `between '${prev.name}' and '${e.name}'` : `before '${e.name}'`} belong to no tensor`,
        e.name,
      );
    at = e.end;
    prev = e;
  }
  if (at !== fileSize)
    throw new SafetensorsError(
      path,
      `hole in the data region: the last ${fileSize - at} bytes of the file${prev ? `, after '${prev.name}',` : ''} belong to no tensor`,
    );
}

/** Opens a safetensors file, reading only its header; tensors are read later, one by one. */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new SafetensorsError(path, `cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const size = (await fh.stat()).size;
    if (size < 8) throw new SafetensorsError(path, `file is truncated: ${size} bytes, no header length`);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const len = Number(lenBuf.readBigUInt64LE(0));
    if (len > MAX_HEADER)
      throw new SafetensorsError(path, `header length ${len} is implausible (over ${MAX_HEADER} bytes)`);
    if (8 + len > size)
      throw new SafetensorsError(path, `file is truncated: header needs ${len} bytes, ${size - 8} present`);
    const hbuf = Buffer.alloc(len);
    await fh.read(hbuf, 0, len, 8);
    const { metadata, entries } = parseHeader(path, hbuf.toString('utf8'), 8 + len, size);
    return {
      path,
      metadata,
      entries,
      async read(name: string): Promise<TensorData> {
        const e = entries.get(name);
        if (!e) throw new SafetensorsError(path, 'no such tensor', name);
        const bytes = Buffer.alloc(e.end - e.begin);
        const { bytesRead } = await fh.read(bytes, 0, bytes.length, e.begin);
        if (bytesRead !== bytes.length)
          throw new SafetensorsError(path, `file is truncated: read ${bytesRead} of ${bytes.length} bytes`, name);
        return decodeTensor(e.dtype, e.shape, bytes);
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Reads every tensor of one file (each held once, as its decoded host tensor). */
export async function readSafetensors(
  path: string,
): Promise<{ tensors: Map<string, TensorData>; metadata: Record<string, string> }> {
  const f = await openSafetensors(path);
  try {
    const tensors = new Map<string, TensorData>();
    for (const name of [...f.entries.keys()].sort()) tensors.set(name, await f.read(name));
    return { tensors, metadata: { ...f.metadata } };
  } finally {
    await f.close();
  }
}

/**
 * Reads a Hugging Face checkpoint's weights: `model.safetensors`, or the shards listed in
 * `model.safetensors.index.json` (each shard opened once, tensors read in turn).
 */
export async function readCheckpointTensors(
  dir: string,
  filter?: (name: string) => boolean,
): Promise<Map<string, TensorData>> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  const single = join(dir, 'model.safetensors');
  const hasIndex = await stat(indexPath).then(
    () => true,
    () => false,
  );
  if (!hasIndex) {
    if (
      !(await stat(single).then(
        () => true,
        () => false,
      ))
    )
      throw new SafetensorsError(dir, 'neither model.safetensors nor model.safetensors.index.json is present');
    const out = new Map<string, TensorData>();
    const f = await openSafetensors(single);
    try {
      for (const name of [...f.entries.keys()].sort()) if (!filter || filter(name)) out.set(name, await f.read(name));
    } finally {
      await f.close();
    }
    return out;
  }
  let index: { weight_map?: Record<string, string> };
  try {
    index = parseJsonRecord<typeof index>(await readFile(indexPath, 'utf8'), indexPath, '');
  } catch (err) {
    throw new SafetensorsError(indexPath, err instanceof RecordError ? err.detail : String(err));
  }
  if (!index.weight_map || typeof index.weight_map !== 'object')
    throw new SafetensorsError(indexPath, 'has no weight_map object');
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(index.weight_map)) {
    if (filter && !filter(name)) continue;
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\'))
      throw new SafetensorsError(indexPath, `weight_map entry names an invalid shard ${JSON.stringify(shard)}`, name);
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  const out = new Map<string, TensorData>();
  for (const [shard, names] of [...byShard].sort(([a], [b]) => a.localeCompare(b))) {
    const f = await openSafetensors(join(dirname(indexPath), shard));
    try {
      for (const name of names.sort()) {
        if (!f.entries.has(name))
          throw new SafetensorsError(f.path, 'listed in the index but absent from the shard', name);
        out.set(name, await f.read(name));
      }
    } finally {
      await f.close();
    }
  }
  return out;
}
