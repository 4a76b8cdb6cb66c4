import { defaultThreads, Graph, Session, type SessionOptions, type Value } from '@saetrace/engine';
import type { SaeParams } from './init.ts';
import { nativeSparseStep } from './native-kernel.ts';

export interface FusedStepOptions {
  readonly d: number;
  readonly n: number;
  readonly k: number;
  readonly batch: number;
  readonly auxK?: number;
}

export interface FusedStepResult {
  readonly loss: number;
  readonly fvu: number;
  readonly auxLoss?: number;
  /** Active latents per token [B*k], for dead-latent tracking. */
  readonly idx: Int32Array;
  /** False when the loss was not finite: nothing was updated. */
  readonly updated: boolean;
}

/**
 * A TopK SAE training step in two parts: onnxruntime runs the dense encoder product and TopK (the one
 * dense GEMM a step needs), the native kernel everything after it through the k active rows, updating the
 * parameters and Adam moments in place. Same maths as buildSaeStep's sparse variant.
 */
export class FusedSaeStep {
  private constructor(
    private readonly session: Session,
    private readonly o: FusedStepOptions,
    private readonly threads: number,
  ) {}

  static async create(o: FusedStepOptions, session: SessionOptions = {}): Promise<FusedSaeStep> {
    if ((session.provider ?? 'cpu') !== 'cpu')
      throw new RangeError(
        `FusedSaeStep: the native kernel runs on the CPU; provider '${session.provider}' needs the onnxruntime step`,
      );
    const { d, n, k } = o;
    const g = new Graph('sae_fused_encode');
    const x = g.input('x', 'float32', [o.batch, d]);
    const W = g.input('W_enc', 'float32', [n, d]);
    const bEnc = g.input('b_enc', 'float32', [n]);
    const bDec = g.input('b_dec', 'float32', [d]);
    // MatMul + Add + Relu fuse into one Gemm with the transpose folded in (graph optimisation 'all').
    const act = g.op1('Relu', [
      g.op1('Add', [g.op1('MatMul', [g.op1('Sub', [x, bDec]), g.op1('Transpose', [W], { perm: [1, 0] })]), bEnc]),
    ]);
    const [vals, idx] = g.op('TopK', [act, g.ints([k])], { axis: -1, largest: 1, sorted: 1 }) as [Value, Value];
    g.output(vals, 'vals');
    g.output(g.op1('Cast', [idx], { to: 6 }), 'idx');
    if (o.auxK !== undefined) {
      const dead = g.input('dead', 'float32', [n]);
      const [av, ai] = g.op('TopK', [g.op1('Mul', [act, dead]), g.ints([o.auxK])], {
        axis: -1,
        largest: 1,
        sorted: 1,
      }) as [Value, Value];
      g.output(av, 'aux_vals');
      g.output(g.op1('Cast', [ai], { to: 6 }), 'aux_idx');
    }
    const threads = session.threads ?? defaultThreads();
    return new FusedSaeStep(await Session.create(g, { ...session, threads }), o, threads);
  }

  /** One step on batch `x` [B*d]; `lr` for this step, `t` the Adam step from 1; AuxK needs `dead` [n] and `auxCoef`. */
  async run(
    x: Float32Array,
    params: SaeParams,
    m: SaeParams,
    v: SaeParams,
    lr: number,
    t: number,
    aux?: { dead: Float32Array; coef: number },
  ): Promise<FusedStepResult> {
    const { d, n, k, batch: B } = this.o;
    if (x.length !== B * d) throw new RangeError(`FusedSaeStep.run: x has ${x.length} values, expected ${B} x ${d}`);
    if ((aux === undefined) !== (this.o.auxK === undefined))
      throw new RangeError(`FusedSaeStep.run: aux must be given exactly when the step was built with auxK`);
    const feeds = {
      x: { dtype: 'float32' as const, shape: [B, d], data: x },
      W_enc: { dtype: 'float32' as const, shape: [n, d], data: params.W_enc },
      b_enc: { dtype: 'float32' as const, shape: [n], data: params.b_enc },
      b_dec: { dtype: 'float32' as const, shape: [d], data: params.b_dec },
      ...(aux ? { dead: { dtype: 'float32' as const, shape: [n], data: aux.dead } } : {}),
    };
    const enc = await this.session.run(feeds);
    const idx = enc.idx?.data as Int32Array;
    const r = nativeSparseStep(
      {
        B,
        d,
        n,
        k,
        x,
        vals: enc.vals?.data as Float32Array,
        idx,
        lr,
        t,
        threads: this.threads,
        ...(aux && this.o.auxK !== undefined
          ? {
              aux: {
                k: this.o.auxK,
                vals: enc.aux_vals?.data as Float32Array,
                idx: enc.aux_idx?.data as Int32Array,
                coef: aux.coef,
              },
            }
          : {}),
      },
      params,
      m,
      v,
    );
    return { loss: r.loss, fvu: r.fvu, ...(aux ? { auxLoss: r.auxLoss } : {}), idx, updated: r.updated };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
