import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, Session, type HostTensor, type SessionOptions, type Value } from '@saetrace/engine';
import { loadTokenizer, type LoadedTokenizer } from '../tokenizer/index.ts';
import { readLlamaConfig, type LlamaConfig } from './config.ts';
import { llamaDecodeStep } from './decode.ts';
import { BATCH, llamaForward } from './forward.ts';
import { cacheAfterStep, cacheFromPrefill, keepRows, stepMask, type KvCache } from './kv-cache.ts';
import { llamaParamShapes } from './params.ts';
import { checkSite } from './sites.ts';
import { readLlamaWeights, type LlamaWeights } from './weights.ts';

async function sha256File(path: string, h: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
}

/**
 * The fingerprint a model directory's LlamaModel reports: sha256 over its config, weights (or index and shards)
 * and tokenizer bytes. Computed from the files alone, so a plan can key a checkpoint's stores without loading it.
 */
export async function modelFingerprint(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of ['config.json', 'model.safetensors', 'model.safetensors.index.json', 'tokenizer.json']) {
    const p = join(dir, f);
    if (existsSync(p)) {
      h.update(f);
      await sha256File(p, h);
    }
  }
  if (existsSync(join(dir, 'model.safetensors.index.json')) && !existsSync(join(dir, 'model.safetensors'))) {
    // Shards are covered through the index's weight map plus each shard's bytes.
    const { readdirSync } = await import('node:fs');
    for (const f of readdirSync(dir)
      .filter((x) => x.endsWith('.safetensors'))
      .sort()) {
      h.update(f);
      await sha256File(join(dir, f), h);
    }
  }
  return h.digest('hex');
}

/** An injection for one generation step: `delta` [rows*window*d] added at site `layer` (sites.ts). */
export interface GenerationDelta {
  readonly layer: number;
  readonly delta: Float32Array;
}

export interface GenerateBatchOptions {
  /** A row ends once its decoded continuation, leading whitespace ignored, contains this. */
  readonly stop?: string;
  /** Window length (default: the longest prompt plus maxNew, at most max_position_embeddings). */
  readonly window?: number;
  /**
   * Called once per step with the step's tokens int32 [rows*width] (width <= window: see generateBatch),
   * each row's real length and the width; returns the injection [rows*width*d] or null.
   */
  readonly delta?: (tokens: Int32Array, lengths: readonly number[], width: number) => Promise<GenerationDelta | null>;
  /**
   * An injection for cached decoding (see DecodeInjector). Exclusive with `delta`. Where the prompts and
   * continuations outgrow the window, decoding falls back to the uncached loop with `prefill` as its
   * per-step window callback, which it is equivalent to.
   */
  readonly injector?: DecodeInjector;
}

/**
 * The injection of a cached decoding: once for the prompts' window, then once per step for the new token
 * of each row still decoding. An implementation keeps its own cache in step (e.g. a DecodeTapper).
 */
export interface DecodeInjector {
  /** The site (sites.ts) at which the injection is added. */
  readonly layer: number;
  /** Prompts right-padded to `width`, tokens [rows*width], real lengths per row: the injection [rows*width*d]. */
  prefill(tokens: Int32Array, lengths: readonly number[], width: number): Promise<Float32Array>;
  /** The new token of each row still decoding, `rows` their indices among the prompts (increasing): the injection [rows.length*d]. */
  step(tokens: Int32Array, rows: readonly number[]): Promise<Float32Array>;
}

/** The residual at site `layer` (sites.ts) along a cached decoding (LlamaModel.decodeTapper). */
export interface DecodeTapper {
  /** Right-padded prompts: the tap [rows*width*d]; starts a new cache. */
  prefill(tokens: Int32Array, lengths: readonly number[], width: number): Promise<Float32Array>;
  /** The new token of each row still decoding (`rows`: indices among the prompts, a subset of the last call's, in order): the tap [rows.length*d]. */
  step(tokens: Int32Array, rows: readonly number[]): Promise<Float32Array>;
}

/** Step widths are multiples of this: few distinct graphs, little padding. */
const WIDTH_STEP = 16;

export interface LlamaModelOptions extends SessionOptions {
  /** 'inputs' (default): weights fed on every run; 'initializers': weights baked into each graph. */
  readonly weightsAs?: 'inputs' | 'initializers';
  /** Load weights that hold NaN or infinity (refused by default, naming the file and tensor). */
  readonly allowNonFinite?: boolean;
}

/**
 * A Llama checkpoint ready to run: residual taps (TapModel), logits with an injected delta
 * (InjectableModel), perplexity inputs and greedy generation. Graphs are built per (T, outputs) and cached;
 * by default weights are fed as inputs, so one graph shape serves every checkpoint of a config; as
 * initializers they are baked into each graph, letting onnxruntime fold the weight transposes.
 */
export class LlamaModel {
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly weights: Readonly<Record<string, HostTensor>>;
  private readonly weightFeeds: Readonly<Record<string, HostTensor>>;
  /** The directory it was loaded from (for messages), when loaded by LlamaModel.load. */
  source?: string;

  constructor(
    readonly config: LlamaConfig,
    weights: LlamaWeights,
    readonly tokenizer: LoadedTokenizer | null,
    private readonly hash: string,
    private readonly sessionOptions: LlamaModelOptions = {},
  ) {
    const ws: Record<string, HostTensor> = {};
    for (const name of llamaParamShapes(config).keys()) {
      const w = weights[name];
      if (!w) throw new Error(`LlamaModel: weight '${name}' is missing`);
      ws[name] = w;
    }
    this.weights = ws;
    this.weightFeeds = sessionOptions.weightsAs === 'initializers' ? {} : ws;
  }

  /** Loads config.json, the weights (single or sharded safetensors) and tokenizer.json of a model directory. */
  static async load(dir: string, options: LlamaModelOptions = {}): Promise<LlamaModel> {
    const config = await readLlamaConfig(dir);
    const weights = await readLlamaWeights(dir, config, { allowNonFinite: options.allowNonFinite });
    const tokenizer = existsSync(join(dir, 'tokenizer.json')) ? await loadTokenizer(dir) : null;
    if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
      throw new Error(
        `${dir}: tokenizer.json has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocabSize}`,
      );
    }
    const model = new LlamaModel(config, weights, tokenizer, await modelFingerprint(dir), options);
    model.source = dir;
    return model;
  }

  get dModel(): number {
    return this.config.hiddenSize;
  }
  get numLayers(): number {
    return this.config.numLayers;
  }
  get vocabSize(): number {
    return this.config.vocabSize;
  }
  get bosId(): number {
    return this.tokenizer?.bosId ?? this.config.bosTokenId;
  }

  fingerprint(): string {
    return this.hash;
  }

  encode(text: string): Promise<number[]> {
    return this.requireTokenizer().encode(text, { addBos: false });
  }

  encodeBatch(texts: readonly string[]): Promise<number[][]> {
    return this.requireTokenizer().encodeBatch(texts, { addBos: false });
  }

  private requireTokenizer(): LoadedTokenizer {
    if (!this.tokenizer) throw new Error('LlamaModel: this model directory has no tokenizer.json');
    return this.tokenizer;
  }

  private session(
    key: string,
    build: (g: Graph, p: Record<string, Value>, tokens: Value | null) => void,
    withTokens = true,
  ): Promise<Session> {
    let s = this.sessions.get(key);
    if (!s) {
      const g = new Graph(`llama_${key}`);
      const p: Record<string, Value> = {};
      const baked = this.sessionOptions.weightsAs === 'initializers';
      for (const [name, shape] of llamaParamShapes(this.config))
        p[name] = baked ? g.initializer(name, this.weights[name] as HostTensor) : g.input(name, 'float32', shape);
      // The second half of a split starts from a residual, so it declares no token input.
      const tokens = withTokens ? g.input('tokens', 'int64', [BATCH, Number(key.split('|')[0])]) : null;
      build(g, p, tokens);
      s = Session.create(g, { threads: this.sessionOptions.threads, provider: this.sessionOptions.provider });
      this.sessions.set(key, s);
    }
    return s;
  }

  private tokenFeed(tokens: Int32Array, batch: number, seqLen: number): HostTensor {
    if (tokens.length !== batch * seqLen)
      throw new RangeError(`LlamaModel: ${tokens.length} tokens for batch ${batch} x ${seqLen}`);
    for (const t of tokens)
      if (t < 0 || t >= this.config.vocabSize)
        throw new RangeError(`LlamaModel: token id ${t} outside the vocabulary (${this.config.vocabSize})`);
    return { dtype: 'int64', shape: [batch, seqLen], data: BigInt64Array.from(tokens, (t) => BigInt(t)) };
  }

  /**
   * The residual stream at the requested sites (sites.ts: 0 = embedding output, l = output of block l-1,
   * as Hugging Face `hidden_states[l]` for l < L; site L is before the final norm), all from one pass:
   * float32 [batch*seqLen*d] each.
   */
  async tap(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layers: readonly number[],
  ): Promise<Map<number, Float32Array>> {
    const sorted = [...new Set(layers)].sort((a, b) => a - b);
    if (sorted.length === 0) return new Map();
    for (const l of sorted) checkSite('LlamaModel.tap', l, this.numLayers);
    const key = `${seqLen}|taps:${sorted.join(',')}`;
    const s = await this.session(key, (g, p, tok) => {
      const r = llamaForward(g, this.config, p, tok, {
        seqLen,
        taps: sorted,
        logits: false,
        stopAtSite: Math.max(...sorted),
      });
      for (const l of sorted) g.output(r.taps.get(l) as Value, `h${l}`);
    });
    const out = await s.run({ ...this.weightFeeds, tokens: this.tokenFeed(tokens, batch, seqLen) });
    return new Map(sorted.map((l) => [l, out[`h${l}`]?.data as Float32Array]));
  }

  /** Logits float32 [batch*seqLen*V]; with `delta` [batch*seqLen*d] added at site `layer`. */
  async logitsWithDelta(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layer: number,
    delta: Float32Array | null,
  ): Promise<Float32Array> {
    const feeds: Record<string, HostTensor> = { ...this.weightFeeds, tokens: this.tokenFeed(tokens, batch, seqLen) };
    if (delta === null) {
      const s = await this.session(`${seqLen}|logits`, (g, p, tok) => {
        g.output(llamaForward(g, this.config, p, tok, { seqLen }).logits as Value, 'logits');
      });
      return (await s.run(feeds)).logits?.data as Float32Array;
    }
    checkSite('LlamaModel.logitsWithDelta', layer, this.numLayers);
    if (delta.length !== batch * seqLen * this.dModel)
      throw new RangeError(`LlamaModel: delta has ${delta.length} values, expected ${batch * seqLen * this.dModel}`);
    const s = await this.session(`${seqLen}|inject:${layer}`, (g, p, tok) => {
      const d = g.input('delta', 'float32', [BATCH, seqLen, this.dModel]);
      g.output(llamaForward(g, this.config, p, tok, { seqLen, inject: { layer, delta: d } }).logits as Value, 'logits');
    });
    feeds.delta = { dtype: 'float32', shape: [batch, seqLen, this.dModel], data: delta };
    return (await s.run(feeds)).logits?.data as Float32Array;
  }

  /**
   * Next-token negative log-likelihood float32 [batch*(seqLen-1)], row-major: entry b*(seqLen-1)+t is
   * -log p(tokens[b*seqLen+t+1] | row b up to t), in nats; the last position of a row has no target and
   * no entry. With `delta` [batch*seqLen*d] added at site `layer`, as in `logitsWithDelta`. LogSoftmax
   * and the target's gather run inside onnxruntime, so one float per position comes back instead of V
   * (8 x 64 tokens at V 8192: 2 KB instead of 16 MB) and no log-sum-exp runs in JavaScript.
   */
  async nllWithDelta(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layer: number,
    delta: Float32Array | null,
  ): Promise<Float32Array> {
    const where = 'LlamaModel.nllWithDelta';
    if (!Number.isInteger(batch) || batch < 1)
      throw new RangeError(`${where}: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(seqLen) || seqLen < 2)
      throw new RangeError(
        `${where}: seqLen must be an integer >= 2 (a target needs a token before it), got ${seqLen}`,
      );
    if (tokens.length !== batch * seqLen)
      throw new RangeError(
        `${where}: tokens has ${tokens.length} ids, expected batch*seqLen = ${batch}*${seqLen} = ${batch * seqLen}`,
      );
    // Checked even without a delta: a caller's bad layer should not pass silently on its baseline run.
    checkSite(where, layer, this.numLayers);
    if (delta !== null && delta.length !== batch * seqLen * this.dModel)
      throw new RangeError(
        `${where}: delta has ${delta.length} values, expected batch*seqLen*d = ${batch * seqLen * this.dModel}`,
      );
    const feeds: Record<string, HostTensor> = { ...this.weightFeeds, tokens: this.tokenFeed(tokens, batch, seqLen) };
    if (delta === null) {
      const s = await this.session(`${seqLen}|nll`, (g, p, tok) => {
        g.output(llamaForward(g, this.config, p, tok, { seqLen, nextTokenNll: true }).nll as Value, 'nll');
      });
      return (await s.run(feeds)).nll?.data as Float32Array;
    }
    const s = await this.session(`${seqLen}|nll-inject:${layer}`, (g, p, tok) => {
      const d = g.input('delta', 'float32', [BATCH, seqLen, this.dModel]);
      g.output(
        llamaForward(g, this.config, p, tok, { seqLen, nextTokenNll: true, inject: { layer, delta: d } }).nll as Value,
        'nll',
      );
    });
    feeds.delta = { dtype: 'float32', shape: [batch, seqLen, this.dModel], data: delta };
    return (await s.run(feeds)).nll?.data as Float32Array;
  }

  /**
   * The second half of a split at site `layer`: logits float32 [batch*seqLen*V] computed from a residual
   * [batch*seqLen*d] standing for that site (e.g. `tap(...)` of it, changed by the caller): blocks layer..L-1.
   */
  async logitsFromResidual(
    residual: Float32Array,
    batch: number,
    seqLen: number,
    layer: number,
  ): Promise<Float32Array> {
    checkSite('LlamaModel.logitsFromResidual', layer, this.numLayers, 'split site');
    if (residual.length !== batch * seqLen * this.dModel)
      throw new RangeError(
        `LlamaModel: residual has ${residual.length} values, expected ${batch * seqLen * this.dModel}`,
      );
    const s = await this.session(
      `${seqLen}|resume:${layer}`,
      (g, p) => {
        const r = g.input('residual', 'float32', [BATCH, seqLen, this.dModel]);
        g.output(
          llamaForward(g, this.config, p, null, { seqLen, resume: { site: layer, residual: r } }).logits as Value,
          'logits',
        );
      },
      false,
    );
    const out = await s.run({
      ...this.weightFeeds,
      residual: { dtype: 'float32', shape: [batch, seqLen, this.dModel], data: residual },
    });
    return out.logits?.data as Float32Array;
  }

  /**
   * Logits float32 [batch*V] at one position per row (`positions[b]` of row b), with `delta`
   * [batch*seqLen*d] added at site `layer` when given. The head runs on those rows only: greedy
   * decoding reads one position per row (see ForwardOptions.headAt for the multiply-adds saved).
   */
  async logitsAt(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    positions: ArrayLike<number>,
    layer: number,
    delta: Float32Array | null,
  ): Promise<Float32Array> {
    if (positions.length !== batch)
      throw new RangeError(`LlamaModel.logitsAt: positions has ${positions.length} entries for batch ${batch}`);
    const pos = new BigInt64Array(batch);
    for (let b = 0; b < batch; b++) {
      const p = positions[b] as number;
      if (!Number.isInteger(p) || p < 0 || p >= seqLen)
        throw new RangeError(`LlamaModel.logitsAt: positions[${b}] = ${p} is not in [0, ${seqLen})`);
      pos[b] = BigInt(p);
    }
    const feeds: Record<string, HostTensor> = {
      ...this.weightFeeds,
      tokens: this.tokenFeed(tokens, batch, seqLen),
      positions: { dtype: 'int64', shape: [batch], data: pos },
    };
    if (delta === null) {
      const s = await this.session(`${seqLen}|head`, (g, p, tok) => {
        const at = g.input('positions', 'int64', [BATCH]);
        g.output(llamaForward(g, this.config, p, tok, { seqLen, headAt: at }).logits as Value, 'logits');
      });
      return (await s.run(feeds)).logits?.data as Float32Array;
    }
    // An injection at a site that does not exist would silently add nothing.
    checkSite('LlamaModel.logitsAt', layer, this.numLayers);
    if (delta.length !== batch * seqLen * this.dModel)
      throw new RangeError(
        `LlamaModel.logitsAt: delta has ${delta.length} values, expected batch*seqLen*d = ${batch * seqLen * this.dModel}`,
      );
    const s = await this.session(`${seqLen}|head-inject:${layer}`, (g, p, tok) => {
      const at = g.input('positions', 'int64', [BATCH]);
      const d = g.input('delta', 'float32', [BATCH, seqLen, this.dModel]);
      g.output(
        llamaForward(g, this.config, p, tok, { seqLen, headAt: at, inject: { layer, delta: d } }).logits as Value,
        'logits',
      );
    });
    feeds.delta = { dtype: 'float32', shape: [batch, seqLen, this.dModel], data: delta };
    return (await s.run(feeds)).logits?.data as Float32Array;
  }

  /** Names of a cached run's key and value feeds or outputs of block l (0-based). */
  private static kvNames(l: number): [string, string] {
    return [`k${l}`, `v${l}`];
  }

  /**
   * The prompt window of a cached decoding: right-padded `tokens` [rows*width] with real `lengths`, the
   * head at each row's last real position (or, with `tap`, site tap's residual and no later block), an
   * optional injection [rows*width*d] at site `inject.layer`; returns what it computed and the cache.
   */
  private async prefill(
    tokens: Int32Array,
    rows: number,
    width: number,
    lengths: readonly number[],
    o: { tap?: number; inject?: GenerationDelta | null },
  ): Promise<{ logits: Float32Array | null; h: Float32Array | null; cache: KvCache }> {
    const d = this.dModel;
    const endSite = o.tap ?? this.numLayers;
    const inj = o.inject ?? null;
    const key = `${width}|prefill:${o.tap ?? 'head'}:${inj ? inj.layer : '-'}`;
    const s = await this.session(key, (g, p, tok) => {
      const headAt = o.tap === undefined ? g.input('positions', 'int64', [BATCH]) : undefined;
      const delta = inj ? g.input('delta', 'float32', [BATCH, width, d]) : undefined;
      const r = llamaForward(g, this.config, p, tok, {
        seqLen: width,
        headAt,
        logits: o.tap === undefined,
        taps: o.tap === undefined ? [] : [o.tap],
        stopAtSite: endSite,
        inject: inj && delta ? { layer: inj.layer, delta } : undefined,
      });
      if (r.logits) g.output(r.logits, 'logits');
      if (o.tap !== undefined) g.output(r.taps.get(o.tap) as Value, 'h');
      for (const [l, kv] of r.kv.entries()) {
        const [kn, vn] = LlamaModel.kvNames(l);
        g.output(kv.k, kn);
        g.output(kv.v, vn);
      }
    });
    const feeds: Record<string, HostTensor> = { ...this.weightFeeds, tokens: this.tokenFeed(tokens, rows, width) };
    if (o.tap === undefined)
      feeds.positions = { dtype: 'int64', shape: [rows], data: BigInt64Array.from(lengths, (l) => BigInt(l - 1)) };
    if (inj) {
      if (inj.delta.length !== rows * width * d)
        throw new RangeError(
          `LlamaModel: prefill delta has ${inj.delta.length} values, expected rows*width*d = ${rows * width * d}`,
        );
      feeds.delta = { dtype: 'float32', shape: [rows, width, d], data: inj.delta };
    }
    const out = await s.run(feeds);
    const k: HostTensor[] = [];
    const v: HostTensor[] = [];
    for (let l = 0; l < endSite; l++) {
      const [kn, vn] = LlamaModel.kvNames(l);
      k.push(out[kn] as HostTensor);
      v.push(out[vn] as HostTensor);
    }
    return {
      logits: (out.logits?.data as Float32Array | undefined) ?? null,
      h: (out.h?.data as Float32Array | undefined) ?? null,
      cache: cacheFromPrefill(k, v, lengths, width),
    };
  }

  /** One cached step: the new token of each cached row [rows], optional injection [rows*d]; logits [rows*V] or the tap [rows*d], and the cache after it. */
  private async decodeStep(
    cache: KvCache,
    tokens: Int32Array,
    o: { tap?: number; inject?: GenerationDelta | null },
  ): Promise<{ logits: Float32Array | null; h: Float32Array | null; cache: KvCache }> {
    const d = this.dModel;
    const rows = cache.rows;
    const endSite = o.tap ?? this.numLayers;
    if (cache.k.length !== endSite)
      throw new Error(`LlamaModel: the cache holds ${cache.k.length} blocks, this step runs ${endSite}`);
    for (const p of cache.positions)
      if (p >= this.config.maxPositionEmbeddings)
        throw new RangeError(
          `LlamaModel: cached decoding reached position ${p}, past max_position_embeddings ${this.config.maxPositionEmbeddings}`,
        );
    const inj = o.inject ?? null;
    const key = `1|step:${o.tap ?? 'head'}:${inj ? inj.layer : '-'}`;
    const { numKvHeads: KV, headDim: hd } = this.config;
    const s = await this.session(key, (g, p, tok) => {
      const positions = g.input('positions', 'int64', [BATCH]);
      const mask = g.input('mask', 'float32', [BATCH, 'past1']);
      const past = Array.from({ length: endSite }, (_, l) => {
        const [kn, vn] = LlamaModel.kvNames(l);
        return {
          k: g.input(kn, 'float32', [BATCH, KV, 1, 'past', hd]),
          v: g.input(vn, 'float32', [BATCH, KV, 1, 'past', hd]),
        };
      });
      const delta = inj ? g.input('delta', 'float32', [BATCH, 1, d]) : undefined;
      const r = llamaDecodeStep(g, this.config, p, tok as Value, {
        past,
        positions,
        mask,
        taps: o.tap === undefined ? [] : [o.tap],
        stopAtSite: endSite,
        inject: inj && delta ? { layer: inj.layer, delta } : undefined,
      });
      if (r.logits) g.output(r.logits, 'logits');
      if (o.tap !== undefined) g.output(r.taps.get(o.tap) as Value, 'h');
      for (const [l, kv] of r.present.entries()) {
        const [kn, vn] = LlamaModel.kvNames(l);
        g.output(kv.k, `present_${kn}`);
        g.output(kv.v, `present_${vn}`);
      }
    });
    const feeds: Record<string, HostTensor> = {
      ...this.weightFeeds,
      tokens: this.tokenFeed(tokens, rows, 1),
      positions: { dtype: 'int64', shape: [rows], data: BigInt64Array.from(cache.positions, (x) => BigInt(x)) },
      mask: { dtype: 'float32', shape: [rows, cache.past + 1], data: stepMask(cache) },
    };
    for (let l = 0; l < endSite; l++) {
      const [kn, vn] = LlamaModel.kvNames(l);
      feeds[kn] = cache.k[l] as HostTensor;
      feeds[vn] = cache.v[l] as HostTensor;
    }
    if (inj) {
      if (inj.delta.length !== rows * d)
        throw new RangeError(`LlamaModel: step delta has ${inj.delta.length} values, expected rows*d = ${rows * d}`);
      feeds.delta = { dtype: 'float32', shape: [rows, 1, d], data: inj.delta };
    }
    const out = await s.run(feeds);
    const k: HostTensor[] = [];
    const v: HostTensor[] = [];
    for (let l = 0; l < endSite; l++) {
      const [kn, vn] = LlamaModel.kvNames(l);
      k.push(out[`present_${kn}`] as HostTensor);
      v.push(out[`present_${vn}`] as HostTensor);
    }
    return {
      logits: (out.logits?.data as Float32Array | undefined) ?? null,
      h: (out.h?.data as Float32Array | undefined) ?? null,
      cache: cacheAfterStep(cache, k, v),
    };
  }

  /**
   * The residual at site `layer` along a cached decoding driven by another model (the full model of an
   * intervention, tapped on the tokens the mid model chooses): one prefill, then one token per row and step.
   */
  decodeTapper(layer: number): DecodeTapper {
    checkSite('LlamaModel.decodeTapper', layer, this.numLayers);
    let cache: KvCache | null = null;
    let current: number[] = [];
    return {
      prefill: async (tokens, lengths, width) => {
        const r = await this.prefill(tokens, lengths.length, width, lengths, { tap: layer });
        cache = r.cache;
        current = lengths.map((_, i) => i);
        return r.h as Float32Array;
      },
      step: async (tokens, rows) => {
        if (!cache) throw new Error('DecodeTapper.step: prefill first');
        const keep = rows.map((r) => current.indexOf(r));
        if (keep.some((i, j) => i < 0 || (j > 0 && i <= (keep[j - 1] as number))))
          throw new RangeError(
            `DecodeTapper.step: rows ${rows.join(',')} are not an ordered subset of the previous rows ${current.join(',')}`,
          );
        if (tokens.length !== rows.length)
          throw new RangeError(`DecodeTapper.step: ${tokens.length} tokens for ${rows.length} rows`);
        const r = await this.decodeStep(keepRows(cache, keep), tokens, { tap: layer });
        cache = r.cache;
        current = [...rows];
        return r.h as Float32Array;
      },
    };
  }

  /**
   * Greedy continuation of `prompt` ids: at most `maxNew` tokens, stopping at EOS or when the decoded
   * continuation contains `stop`. A prompt longer than the window keeps its last `window` tokens.
   * The same decoding as `generateBatch` on one prompt (it is that call); `delta` gets tokens [width].
   */
  async generate(
    prompt: readonly number[],
    maxNew: number,
    options: {
      stop?: string;
      window?: number;
      delta?: (tokens: Int32Array, len: number) => Promise<GenerationDelta | null>;
    } = {},
  ): Promise<number[]> {
    if (prompt.length === 0) throw new RangeError('generate: empty prompt');
    const W = options.window ?? Math.min(this.config.maxPositionEmbeddings, prompt.length + maxNew);
    const inject = options.delta;
    // The last W tokens of prompt+continuation are the last W of prompt.slice(-W)+continuation.
    const [out] = await this.generateBatch([prompt.slice(-W)], maxNew, {
      stop: options.stop,
      window: W,
      delta: inject ? (tokens, lengths) => inject(tokens, lengths[0] as number) : undefined,
    });
    return out as number[];
  }

  /**
   * Greedy continuations of several prompts at once: every unfinished row advances by one token per
   * forward over [rows, width], right-padded. Causal attention makes padding harmless, so each row's
   * logits are those of its own window run alone; the width is the longest context rounded up to 16
   * (at most `window`), since the positions after it would be pads too. Each row stops on its own, at EOS
   * (not emitted), after `maxNew` tokens, or once its decoded continuation, leading whitespace ignored,
   * contains `stop`; finished rows leave the batch. When a context outgrows the window, its last
   * `window` tokens are kept. `delta` gets the step's tokens [rows*width], real lengths per row and the
   * width, and returns the injection [rows*width*d] at site `layer`, or null.
   */
  async generateBatch(
    prompts: readonly (readonly number[])[],
    maxNew: number,
    options: GenerateBatchOptions = {},
  ): Promise<number[][]> {
    if (!Number.isInteger(maxNew) || maxNew < 0)
      throw new RangeError(`generateBatch: maxNew must be a non-negative integer, got ${maxNew}`);
    let longest = 0;
    for (const [i, p] of prompts.entries()) {
      if (p.length === 0) throw new RangeError(`generateBatch: prompts[${i}] is empty`);
      longest = Math.max(longest, p.length);
    }
    const W = options.window ?? Math.min(this.config.maxPositionEmbeddings, longest + maxNew);
    if (!Number.isInteger(W) || W < 1)
      throw new RangeError(`generateBatch: window must be a positive integer, got ${W}`);
    for (const [i, p] of prompts.entries()) {
      if (p.length > W)
        throw new RangeError(`generateBatch: prompts[${i}] has ${p.length} tokens, more than the window ${W}`);
    }
    if (options.delta && options.injector) throw new Error('generateBatch: delta and injector are exclusive');
    const V = this.vocabSize;
    const d = this.dModel;
    const pad = this.tokenizer?.padId ?? 0;
    const eos = this.tokenizer?.eosId ?? this.config.eosTokenId;
    const seqs = prompts.map((p) => [...p]);
    const outs: number[][] = prompts.map(() => []);
    let active = maxNew > 0 ? prompts.map((_, i) => i) : [];
    /** Greedy choice for each active row from its logits [rows*V]; the rows that go on. */
    const choose = (logits: Float32Array, rowsNow: readonly number[]): number[] => {
      const next: number[] = [];
      for (const [j, r] of rowsNow.entries()) {
        const off = j * V;
        let best = 0;
        for (let v = 1; v < V; v++) if ((logits[off + v] as number) > (logits[off + best] as number)) best = v;
        if (best === eos) continue;
        const out = outs[r] as number[];
        out.push(best);
        (seqs[r] as number[]).push(best);
        // Leading whitespace does not end a continuation: an answer may start on a fresh line.
        if (options.stop && this.tokenizer && this.tokenizer.decode(out).trimStart().includes(options.stop)) continue;
        if (out.length < maxNew) next.push(r);
      }
      return next;
    };
    // Cached decoding when no context outgrows the window (then no row's window slides, and a step's
    // logits are those of the uncached loop's full-window forward at that position, up to rounding).
    if (!options.delta && active.length > 0 && longest + maxNew <= W) {
      const inj = options.injector ?? null;
      const lengths = prompts.map((p) => p.length);
      const width = Math.min(W, Math.ceil(longest / WIDTH_STEP) * WIDTH_STEP);
      const tokens = new Int32Array(prompts.length * width).fill(pad);
      for (const [j, p] of prompts.entries()) tokens.set(p, j * width);
      const first = await this.prefill(tokens, prompts.length, width, lengths, {
        inject: inj ? { layer: inj.layer, delta: await inj.prefill(tokens, lengths, width) } : null,
      });
      let cache = first.cache;
      active = choose(first.logits as Float32Array, active);
      let rowsNow = prompts.map((_, i) => i);
      while (active.length > 0) {
        cache = keepRows(
          cache,
          active.map((r) => rowsNow.indexOf(r)),
        );
        const step = Int32Array.from(active, (r) => (seqs[r] as number[]).at(-1) as number);
        const r = await this.decodeStep(cache, step, {
          inject: inj ? { layer: inj.layer, delta: await inj.step(step, active) } : null,
        });
        cache = r.cache;
        rowsNow = active;
        active = choose(r.logits as Float32Array, active);
      }
      return outs;
    }
    const windowDelta =
      options.delta ??
      (options.injector
        ? async (t: Int32Array, l: readonly number[], w: number): Promise<GenerationDelta> => ({
            layer: (options.injector as DecodeInjector).layer,
            delta: await (options.injector as DecodeInjector).prefill(t, l, w),
          })
        : undefined);
    while (active.length > 0) {
      const rows = active.length;
      const ctxs = active.map((r) => (seqs[r] as number[]).slice(-W));
      const lengths = ctxs.map((c) => c.length);
      const width = Math.min(W, Math.ceil(Math.max(...lengths) / WIDTH_STEP) * WIDTH_STEP);
      const tokens = new Int32Array(rows * width).fill(pad);
      for (const [j, c] of ctxs.entries()) tokens.set(c, j * width);
      const inj = windowDelta ? await windowDelta(tokens, lengths, width) : null;
      if (inj && inj.delta.length !== rows * width * d)
        throw new RangeError(
          `generateBatch: delta returned ${inj.delta.length} values, expected rows*width*d = ${rows}*${width}*${d} = ${rows * width * d}`,
        );
      const logits = await this.logitsAt(
        tokens,
        rows,
        width,
        lengths.map((l) => l - 1),
        inj?.layer ?? 0,
        inj?.delta ?? null,
      );
      active = choose(logits, active);
    }
    return outs;
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}

/** Loads a model directory as a TapModel for activation extraction (libs/activations looks this up by name). */
export async function loadTapModel(dir: string): Promise<LlamaModel> {
  return LlamaModel.load(dir);
}
