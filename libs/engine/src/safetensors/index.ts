export { openSafetensors, readSafetensors, readCheckpointTensors, SafetensorsError, type SafetensorsFile, type TensorEntry } from './read.ts';
export { writeSafetensors, writeShardedSafetensors } from './write.ts';
export { halfToFloat, decodeTensor, type StDType } from './dtype.ts';
