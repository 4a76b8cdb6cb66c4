import { Graph, Session, type SessionOptions, type Value } from '@saetrace/engine';
import type { SaeParams } from './init.ts';

export interface TopKCodes {
  readonly rows: number;
  readonly k: number;
  readonly values: Float32Array;
  readonly indices: Int32Array;
}

/**
 * A trained SAE's encoder on onnxruntime: each row's top-k latents after ReLU (the FeatureEncoder that
 * metrics and the intervention use), plus its decoder rows and bias for masked decoding.
 */
export class SaeEncoder {
  private constructor(
    private readonly session: Session,
    readonly d: number,
    readonly n: number,
    readonly k: number,
    private readonly params: SaeParams,
  ) {}

  static async create(
    params: SaeParams,
    d: number,
    n: number,
    k: number,
    options: SessionOptions = {},
  ): Promise<SaeEncoder> {
    const g = new Graph('sae_encode');
    const x = g.input('x', 'float32', ['rows', d]);
    const W = g.initializer('W_enc', { dtype: 'float32', shape: [n, d], data: params.W_enc });
    const bEnc = g.initializer('b_enc', { dtype: 'float32', shape: [n], data: params.b_enc });
    const bDec = g.initializer('b_dec', { dtype: 'float32', shape: [d], data: params.b_dec });
    const pre = g.op1('Add', [
      g.op1('MatMul', [g.op1('Sub', [x, bDec]), g.op1('Transpose', [W], { perm: [1, 0] })]),
      bEnc,
    ]);
    const [vals, idx] = g.op('TopK', [g.op1('Relu', [pre]), g.ints([k])], { axis: -1 }) as [Value, Value];
    g.output(vals, 'values');
    g.output(g.op1('Cast', [idx], { to: 6 }), 'indices');
    return new SaeEncoder(await Session.create(g, options), d, n, k, params);
  }

  async encode(x: Float32Array, rows: number): Promise<TopKCodes> {
    if (x.length !== rows * this.d)
      throw new RangeError(`SaeEncoder.encode: ${x.length} values for ${rows} rows of ${this.d}`);
    const out = await this.session.run({ x: { dtype: 'float32', shape: [rows, this.d], data: x } });
    return { rows, k: this.k, values: out.values?.data as Float32Array, indices: out.indices?.data as Int32Array };
  }

  decoderRow(j: number): Float32Array {
    if (!Number.isInteger(j) || j < 0 || j >= this.n)
      throw new RangeError(`SaeEncoder.decoderRow: feature ${j} outside [0, ${this.n})`);
    return this.params.W_dec.slice(j * this.d, (j + 1) * this.d);
  }

  get bDec(): Float32Array {
    return this.params.b_dec;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
