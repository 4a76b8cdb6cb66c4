/**
 * What the intervention needs of a language model: residual taps, and logits or next-token NLL with an
 * additive input at one block's output. libs/lm's Llama model provides all three; tests use small fakes.
 */
export interface InjectableModel {
  readonly dModel: number;
  readonly numLayers: number;
  readonly vocabSize: number;
  readonly bosId: number;
  /** The residual stream at each requested site (0..numLayers, libs/lm/src/llama/sites.ts) for tokens int32 [batch*seqLen], float32 [batch*seqLen*dModel]. */
  tap(tokens: Int32Array, batch: number, seqLen: number, layers: readonly number[]): Promise<Map<number, Float32Array>>;
  /** Logits float32 [batch*seqLen*vocab], with `delta` [batch*seqLen*dModel] added at site `layer` (null: none). */
  logitsWithDelta(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layer: number,
    delta: Float32Array | null,
  ): Promise<Float32Array>;
  /**
   * Next-token NLL float32 [batch*(seqLen-1)] (nats; entry b*(seqLen-1)+t scores token t+1 of row b; the
   * last position has none) under the same inputs as `logitsWithDelta`: what perplexity reads, without
   * shipping V logits per position. RangeError on a token count other than batch*seqLen, a delta of the
   * wrong length, a layer outside the model, or seqLen < 2.
   */
  nllWithDelta(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layer: number,
    delta: Float32Array | null,
  ): Promise<Float32Array>;
}

/** Top-k codes of rows, as the SAE's encoder returns them. */
export interface TopKCodes {
  readonly rows: number;
  readonly k: number;
  readonly values: Float32Array;
  readonly indices: Int32Array;
}

/** The SAE of the full model at the injection site: encoder, decoder rows, decoder bias. */
export interface SaeCodec {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  /** x: unit-normalised rows float32 [rows*d]. */
  encode(x: Float32Array, rows: number): Promise<TopKCodes>;
  /** As encode, with TopK taken among `features` only (the others' pre-activations set aside). */
  encodeAmong(x: Float32Array, rows: number, features: ReadonlySet<number>): Promise<TopKCodes>;
  /** Decoder direction of feature j (length d). */
  decoderRow(j: number): Float32Array;
  readonly bDec: Float32Array;
}

/** The choices the paper leaves open; recorded with every result. */
export interface InjectionVariant {
  /** Add the SAE's b_dec to the decoded vector (default false: D_m leaves it out). */
  readonly includeBias: boolean;
  /** Scale the decoded vector back by |h_full| (default true: E saw h_full / |h_full|). */
  readonly rescale: boolean;
  /**
   * Scale each row's decoded vector to unit norm first (default false: Eq. 7 as written), so every feature class
   * adds the same norm wherever any of its features fire and no class wins by adding more.
   */
  readonly unitDecode?: boolean;
  /**
   * Restrict the SAE's TopK to the masked features (default false: TopK over all n features, then only masked
   * ones decoded). Before TopK, every row decodes its k strongest masked features; after, only those of its
   * top k that happen to be masked (often one or none).
   */
  readonly maskBeforeTopK?: boolean;
}

export const DEFAULT_VARIANT: InjectionVariant = { includeBias: false, rescale: true };
