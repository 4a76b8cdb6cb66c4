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

  /**
   * Top-k of ReLU(W_enc (x - b_dec) + b_enc) among `features` only (masking before TopK; the intervention's
   * maskBeforeTopK). Computed in JS over the listed features (|features| x d per row, float64 sums); rows
   * with fewer than k positive pre-activations among them are padded with value 0 at index 0, which
   * decoding skips. Ties go to the lower index, as onnxruntime's TopK does.
   */
  async encodeAmong(x: Float32Array, rows: number, features: ReadonlySet<number>): Promise<TopKCodes> {
    const { d, n, k } = this;
    if (x.length !== rows * d)
      throw new RangeError(`SaeEncoder.encodeAmong: ${x.length} values for ${rows} rows of ${d}`);
    const list = [...features].sort((a, b) => a - b);
    for (const f of list)
      if (!Number.isInteger(f) || f < 0 || f >= n)
        throw new RangeError(`SaeEncoder.encodeAmong: feature ${f} outside [0, ${n})`);
    const { W_enc: W, b_enc: bEnc, b_dec: bDec } = this.params;
    const values = new Float32Array(rows * k);
    const indices = new Int32Array(rows * k);
    const xc = new Float64Array(d);
    const pre: { v: number; f: number }[] = list.map((f) => ({ v: 0, f }));
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < d; i++) xc[i] = (x[r * d + i] as number) - (bDec[i] as number);
      for (const p of pre) {
        let s = bEnc[p.f] as number;
        const o = p.f * d;
        for (let i = 0; i < d; i++) s += (W[o + i] as number) * (xc[i] as number);
        p.v = s > 0 ? s : 0;
      }
      const top = [...pre].sort((a, b) => b.v - a.v || a.f - b.f);
      for (let t = 0; t < k && t < top.length; t++) {
        const p = top[t] as { v: number; f: number };
        if (p.v <= 0) break;
        values[r * k + t] = p.v;
        indices[r * k + t] = p.f;
      }
    }
    return { rows, k, values, indices };
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
