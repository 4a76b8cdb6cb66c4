import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TensorData } from '../graph/types.ts';
import { tempName, undoMkdir, writeJsonAtomic } from '../io/atomic.ts';
import { ST_DTYPES, encodeHalfs, stDTypeOf, type StDType } from './dtype.ts';

/** How float32 tensors are stored: as is, or narrowed to half precision (HF checkpoints are often BF16). */
export interface WriteOptions {
  readonly floatFormat?: 'F32' | 'F16' | 'BF16';
}

function bytesOf(t: TensorData): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Writes tensors as one safetensors file, streaming each tensor's bytes to a temp file that is then
 * renamed into place: no second copy of the tensors is made, and readers never see half a file.
 * Tensor names are written in sorted order so the same tensors give the same bytes.
 */
export async function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, TensorData>>,
  metadata?: Readonly<Record<string, string>>,
  options: WriteOptions = {},
): Promise<void> {
  const narrow = options.floatFormat === 'F16' || options.floatFormat === 'BF16' ? options.floatFormat : null;
  const stOf = (t: TensorData): StDType => (narrow && t.dtype === 'float32' ? narrow : stDTypeOf(t.dtype));
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name] as TensorData;
    const st = stOf(t);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n)
      throw new RangeError(
        `writeSafetensors: tensor '${name}' has ${t.data.length} elements for shape [${t.shape.join(',')}]`,
      );
    const len = n * ST_DTYPES[st];
    header[name] = { dtype: st, shape: [...t.shape], data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces to a multiple of 8 so tensor data starts aligned.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const hbytes = Buffer.from(json, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(hbytes.length));
  const made = await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fh = await open(tmp, 'w');
  try {
    await fh.write(lenBuf);
    await fh.write(hbytes);
    for (const name of names) {
      const t = tensors[name] as TensorData;
      // Narrowed tensors are converted one at a time, so at most one extra half-size copy exists.
      await fh.write(narrow && t.dtype === 'float32' ? encodeHalfs(t.data as Float32Array, narrow) : bytesOf(t));
    }
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    undoMkdir(made, path);
    throw err;
  }
}

/**
 * Writes a sharded checkpoint in Hugging Face layout: `model-0000i-of-0000n.safetensors` files of at most
 * `maxShardBytes` each plus `model.safetensors.index.json`.
 */
export async function writeShardedSafetensors(
  dir: string,
  tensors: Readonly<Record<string, TensorData>>,
  maxShardBytes: number,
  metadata?: Readonly<Record<string, string>>,
  options: WriteOptions = {},
): Promise<string[]> {
  const halves = options.floatFormat === 'F16' || options.floatFormat === 'BF16';
  const stored = (t: TensorData) => (halves && t.dtype === 'float32' ? t.data.byteLength / 2 : t.data.byteLength);
  const names = Object.keys(tensors).sort();
  const shards: string[][] = [[]];
  let size = 0;
  let total = 0;
  for (const name of names) {
    const b = stored(tensors[name] as TensorData);
    total += b;
    if (size > 0 && size + b > maxShardBytes) {
      shards.push([]);
      size = 0;
    }
    (shards.at(-1) as string[]).push(name);
    size += b;
  }
  const n = shards.length;
  const files = shards.map(
    (_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`,
  );
  const weightMap: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const part: Record<string, TensorData> = {};
    for (const name of shards[i] as string[]) {
      part[name] = tensors[name] as TensorData;
      weightMap[name] = files[i] as string;
    }
    await writeSafetensors(`${dir}/${files[i]}`, part, metadata, options);
  }
  await writeJsonAtomic(`${dir}/model.safetensors.index.json`, {
    metadata: { total_size: total },
    weight_map: weightMap,
  });
  return files;
}
