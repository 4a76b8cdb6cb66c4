/** One batch of evaluation tokens: unit-normalised activations and what each row is. */
export interface TokenBatch {
  readonly x: Float32Array;
  readonly rows: number;
  readonly tokenIds: Int32Array;
  readonly docIds: Int32Array;
  readonly positions: Int32Array;
  /** Index of the document's language in the pair's language list. */
  readonly langs: Uint8Array;
}

export interface TopKCodes {
  readonly rows: number;
  readonly k: number;
  readonly values: Float32Array;
  readonly indices: Int32Array;
}

/** An SAE encoder: each row's top-k latents after ReLU (libs/sae's SaeEncoder is one). */
export interface FeatureEncoder {
  readonly n: number;
  readonly k: number;
  readonly d: number;
  encode(x: Float32Array, rows: number): Promise<TopKCodes>;
}

export type TokenBatches = () => AsyncIterable<TokenBatch>;
