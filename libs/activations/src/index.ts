export type { TapModel } from './tap-model.ts';
export { corpusFile, readCorpusDocs, sha256File, type CorpusDoc } from './corpus.ts';
export {
  WINDOW_TOKENS,
  windowOf,
  selectWindows,
  type DocWindow,
  type SelectOptions,
  type Selection,
} from './windows.ts';
export { unitNormRows } from './normalize.ts';
export { toHalfBits, fromHalfBits, floatsToHalf, halfToFloats } from './half.ts';
export { STORE_FORMAT, SAETRACE_VERSION, cacheKey, canonicalJson, storeDirName, type KeyInputs } from './cache-key.ts';
export { ShardError, encodeShard, decodeShard, readShardFile, type ShardData, type StoreDType } from './shard.ts';
export {
  readManifest,
  readDocTable,
  shardFileName,
  type StoreManifest,
  type ShardEntry,
  type DocTable,
} from './manifest.ts';
export {
  extractActivations,
  planStores,
  storeComplete,
  type ExtractRequest,
  type ExtractResult,
  type PlannedStore,
  type StorePlanRequest,
} from './extract.ts';
export {
  ActivationStore,
  splitByDocument,
  type ActivationBatch,
  type BatchOptions,
  type OpenOptions,
  type DocumentSplit,
} from './store.ts';
export { exportSafetensors, engineSafetensorsWriter, type SafetensorsWriter, type ExportOptions } from './export.ts';
export { FakeTapModel, type FakeTapModelOptions } from './testing/fake-tap-model.ts';
export { writeFixtureDocs, fixtureDocs, type FixtureDoc } from './testing/fixture-corpus.ts';
