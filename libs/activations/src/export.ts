import type { TensorData } from '@saetrace/engine';
import { floatsToHalf } from './half.ts';
import type { ActivationStore } from './store.ts';

/** The safetensors writer's signature (libs/engine/src/safetensors, exported by @saetrace/engine). */
export type SafetensorsWriter = (
  path: string,
  tensors: Record<string, TensorData>,
  metadata?: Record<string, string>,
) => Promise<void>;

export interface ExportOptions {
  /** Activation dtype in the file (default float32). */
  readonly dtype?: 'float32' | 'float16';
}

/**
 * Writes a whole layer store as one safetensors file: `activations` [rows, d] plus `token_ids`,
 * `doc_ids`, `positions` and `langs` (int32) [rows], with the store's key inputs as metadata.
 * The file holds everything at once, so this needs memory for the whole store (the readers do not).
 */
export async function exportSafetensors(
  store: ActivationStore,
  outPath: string,
  write: SafetensorsWriter,
  opts: ExportOptions = {},
): Promise<void> {
  const { rows, d } = store;
  const x = new Float32Array(rows * d);
  const tokenIds = new Int32Array(rows);
  const docIds = new Int32Array(rows);
  const positions = new Int32Array(rows);
  // int32 rather than uint8: every safetensors reader in the project handles int32 (libs/engine/src/safetensors).
  const langs = new Int32Array(rows);
  let o = 0;
  for (let i = 0; i < store.numShards; i++) {
    const s = await store.readShard(i);
    x.set(s.x, o * d);
    tokenIds.set(s.tokenIds, o);
    docIds.set(s.docIds, o);
    positions.set(s.positions, o);
    langs.set(s.langs, o);
    o += s.rows;
  }
  const m = store.manifest;
  const tensors: Record<string, TensorData> = {
    activations:
      opts.dtype === 'float16'
        ? { dtype: 'float16', shape: [rows, d], data: floatsToHalf(x) }
        : { dtype: 'float32', shape: [rows, d], data: x },
    token_ids: { dtype: 'int32', shape: [rows], data: tokenIds },
    doc_ids: { dtype: 'int32', shape: [rows], data: docIds },
    positions: { dtype: 'int32', shape: [rows], data: positions },
    langs: { dtype: 'int32', shape: [rows], data: langs },
  };
  const metadata: Record<string, string> = {
    format: m.format,
    key: m.key,
    layer: String(m.layer),
    langs: m.langs.join(','),
    model: m.inputs.model,
    split: m.inputs.split,
    seed: m.inputs.seed,
    normalisation: m.inputs.normalisation,
    window_tokens: String(m.windowTokens),
    doc_ids_table: JSON.stringify(store.docs.ids),
  };
  await write(outPath, tensors, metadata);
}

/**
 * The engine's safetensors writer, looked up at run time so this lib builds before it lands
 * (libs/engine/src/safetensors, libs/engine/src/safetensors).
 */
export async function engineSafetensorsWriter(): Promise<SafetensorsWriter> {
  const engine = (await import('@saetrace/engine')) as Record<string, unknown>;
  const w = engine['writeSafetensors'];
  if (typeof w !== 'function')
    throw new Error('@saetrace/engine does not export writeSafetensors yet (libs/engine/src/safetensors)');
  return w as SafetensorsWriter;
}
