import os from 'node:os';
import ort from 'onnxruntime-node';
import type { Graph } from '../graph/graph.ts';
import { toOnnx } from '../graph/to-onnx.ts';
import type { DType, TensorData } from '../graph/types.ts';

export type Provider = 'cpu' | 'cuda';

export interface SessionOptions {
  /** Intra-op threads; default: every core. */
  readonly threads?: number;
  /** Execution provider; 'cuda' fails clearly when this onnxruntime build or machine has no CUDA. */
  readonly provider?: Provider;
}

/** A host tensor handed to or returned from a session. */
export type HostTensor = TensorData;

/** Raised when a requested execution provider cannot be used here. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}

export function defaultThreads(): number {
  const env = Number(process.env.SAETRACE_THREADS);
  return Number.isInteger(env) && env > 0 ? env : Math.max(1, os.availableParallelism());
}

/** The execution providers this onnxruntime-node build lists. */
export function availableProviders(): string[] {
  const backends = (ort.env as unknown as { listSupportedBackends?: () => { name: string }[] }).listSupportedBackends;
  return typeof backends === 'function' ? backends().map((b) => b.name) : ['cpu'];
}

function toOrt(t: HostTensor): ort.Tensor {
  const type =
    t.dtype === 'float32'
      ? 'float32'
      : t.dtype === 'float64'
        ? 'float64'
        : t.dtype === 'int64'
          ? 'int64'
          : t.dtype === 'int32'
            ? 'int32'
            : t.dtype === 'bool'
              ? 'bool'
              : t.dtype === 'uint8'
                ? 'uint8'
                : 'float16';
  return new ort.Tensor(type, t.data as never, [...t.shape]);
}

function fromOrt(t: ort.Tensor): HostTensor {
  const map: Record<string, DType> = {
    float32: 'float32',
    float64: 'float64',
    int64: 'int64',
    int32: 'int32',
    bool: 'bool',
    uint8: 'uint8',
    float16: 'float16',
  };
  const dtype = map[t.type];
  if (!dtype) throw new Error(`unsupported output element type ${t.type}`);
  const data = (
    dtype === 'bool' ? new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, t.size) : t.data
  ) as HostTensor['data'];
  return { dtype, shape: [...t.dims], data };
}

/**
 * onnxruntime's session log level: errors only (3) unless SAETRACE_ORT_LOG is 0 (verbose) to 4 (fatal), so a
 * normal run prints no onnxruntime warnings; graph problems that matter surface as thrown errors.
 */
export function ortLogSeverity(env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 | 4 {
  const v = env.SAETRACE_ORT_LOG;
  if (v === undefined || v === '') return 3;
  const n = Number(v);
  if (n === 0 || n === 1 || n === 2 || n === 3 || n === 4) return n;
  throw new RangeError(`SAETRACE_ORT_LOG must be 0 (verbose) to 4 (fatal), got '${v}'`);
}

/** A compiled graph ready to run: feeds by input name, outputs by output name. */
export class Session {
  private constructor(
    private readonly inner: ort.InferenceSession,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  static async create(model: Graph | Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const provider = options.provider ?? 'cpu';
    if (provider === 'cuda' && !availableProviders().includes('cuda')) {
      throw new ProviderUnavailableError(
        `CUDA execution provider requested but not available in this onnxruntime-node build (available: ${availableProviders().join(', ')}); install onnxruntime-node with its CUDA binaries on a GPU machine, or use provider 'cpu'`,
      );
    }
    const bytes = model instanceof Uint8Array ? model : toOnnx(model);
    const threads = options.threads ?? defaultThreads();
    const inner = await ort.InferenceSession.create(bytes, {
      executionProviders: [provider],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: ortLogSeverity(),
    });
    return new Session(inner, inner.inputNames, inner.outputNames);
  }

  /** Runs the graph. Missing or unknown feeds are errors naming the input. */
  async run(
    feeds: Readonly<Record<string, HostTensor>>,
    fetch?: readonly string[],
  ): Promise<Record<string, HostTensor>> {
    for (const n of this.inputNames) if (!(n in feeds)) throw new Error(`missing feed for graph input '${n}'`);
    for (const n of Object.keys(feeds))
      if (!this.inputNames.includes(n))
        throw new Error(`'${n}' is not an input of this graph (inputs: ${this.inputNames.join(', ')})`);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
    const res = fetch ? await this.inner.run(ortFeeds, [...fetch]) : await this.inner.run(ortFeeds);
    const out: Record<string, HostTensor> = {};
    for (const [k, v] of Object.entries(res)) out[k] = fromOrt(v);
    return out;
  }

  async release(): Promise<void> {
    await this.inner.release();
  }
}
