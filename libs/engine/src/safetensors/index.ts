export {
  openSafetensors,
  readSafetensors,
  readCheckpointTensors,
  SafetensorsError,
  type SafetensorsFile,
  type TensorEntry,
} from './read.ts';
export { writeSafetensors, writeShardedSafetensors, type WriteOptions } from './write.ts';
export { halfToFloat, floatToHalf, floatToBf16, decodeTensor, type StDType } from './dtype.ts';
