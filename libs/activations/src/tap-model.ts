/**
 * What libs/activations needs from a language model (this file is the contract). libs/lm implements it;
 * tests use the deterministic fake in testing/fake-tap-model.ts.
 */
export interface TapModel {
  readonly dModel: number;
  readonly numLayers: number;
  readonly bosId: number;
  /**
   * tokens: int32 [batch*seqLen] row-major; returns, per requested site l in 0..numLayers, the residual
   * stream there as float32 [batch*seqLen*dModel]: HF hidden_states[l] (0 = embedding output, l = output of
   * block l-1), site numLayers before the final norm (libs/lm/src/llama/sites.ts).
   */
  tap(tokens: Int32Array, batch: number, seqLen: number, layers: readonly number[]): Promise<Map<number, Float32Array>>;
  /** Token ids of text, WITHOUT BOS. */
  encode(text: string): Promise<number[]>;
  encodeBatch(texts: readonly string[]): Promise<number[][]>;
  /** Where the checkpoint came from (its directory), for messages; optional. */
  readonly source?: string;
  /** Content hash of the checkpoint (weights + config), for cache keys. */
  fingerprint(): string;
}
