import { adamUpdate, Graph, type DType, type Dim, type Value } from '@saetrace/engine';
import { SAE_ADAM } from './config.ts';

/** Parameter names and shapes; the encoder is stored as rows [n, d] so gathers and scatters touch rows. */
export const SAE_PARAMS = ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const;
export type SaeParamName = (typeof SAE_PARAMS)[number];

export function saeParamShapes(d: number, n: number): Record<SaeParamName, number[]> {
  return { W_enc: [n, d], b_enc: [n], W_dec: [n, d], b_dec: [d] };
}

export type StepVariant = 'sparse' | 'dense';

export interface SaeGraphOptions {
  readonly d: number;
  readonly n: number;
  readonly k: number;
  readonly batch: Dim;
  readonly variant: StepVariant;
  /** 'train': Adam update and renormalisation outputs; 'grads': the loss gradients (for checks). */
  readonly mode: 'train' | 'grads';
  readonly dtype?: DType;
  /**
   * AuxK (off when absent): inputs `dead` [n] (1 for a dead latent) and `aux_coef` []; the top `auxK` dead
   * latents reconstruct the main residual x - x_hat (held constant), adding aux_coef * |e_hat - e|^2 / B to the loss.
   */
  readonly auxK?: number;
}

/**
 * One TopK SAE training step as a single graph. Forward: z = TopK_k(ReLU((x - b_dec) W_enc^T + b_enc)),
 * x_hat = z W_dec + b_dec, loss = mean over tokens of |x_hat - x|^2. The sparse variant computes the decoder
 * and every gradient through the k active rows (Gather / ScatterND-add); the dense variant scatters z into
 * [B, n] and uses dense products (the reference). Gradients are derived by hand, checked in tests.
 */
export function buildSaeStep(o: SaeGraphOptions): Graph {
  const dt: DType = o.dtype ?? 'float32';
  const g = new Graph(`sae_${o.variant}_${o.mode}`);
  const c = (v: number) => g.constant([v], [], dt);
  const { d, n, k } = o;
  const B = o.batch;
  const x = g.input('x', dt, [B, d]);
  const P: Record<SaeParamName, Value> = {
    W_enc: g.input('W_enc', dt, [n, d]),
    b_enc: g.input('b_enc', dt, [n]),
    W_dec: g.input('W_dec', dt, [n, d]),
    b_dec: g.input('b_dec', dt, [d]),
  };
  const xc = g.op1('Sub', [x, P.b_dec]);
  const pre = g.op1('Add', [g.op1('MatMul', [xc, g.op1('Transpose', [P.W_enc], { perm: [1, 0] })]), P.b_enc]);
  const [vals, idx] = g.op('TopK', [g.op1('Relu', [pre]), g.ints([k])], { axis: -1, largest: 1, sorted: 1 }) as [
    Value,
    Value,
  ];
  const tokens = g.op1('Gather', [g.op1('Shape', [x]), g.ints([0])]);
  const bF = g.op1('Cast', [tokens], { to: dt === 'float64' ? 11 : 1 });
  const zerosLike = (name: string, shape: readonly number[]) =>
    g.initializer(name, {
      dtype: dt,
      shape: [...shape],
      data:
        dt === 'float64'
          ? new Float64Array(shape.reduce((a, b) => a * b, 1))
          : new Float32Array(shape.reduce((a, b) => a * b, 1)),
    });
  let xhat: Value;
  let Wsel: Value | null = null;
  let Z: Value | null = null;
  if (o.variant === 'sparse') {
    Wsel = g.op1('Gather', [P.W_dec, idx], { axis: 0 }); // [B, k, d]
    xhat = g.op1('Add', [
      g.op1('Reshape', [g.op1('MatMul', [g.op1('Unsqueeze', [vals, g.ints([1])]), Wsel]), g.ints([-1, d])]),
      P.b_dec,
    ]);
  } else {
    const zerosBn = g.op1(
      'ConstantOfShape',
      [g.op1('Concat', [g.op1('Reshape', [tokens, g.ints([1])]), g.ints([n])], { axis: 0 })],
      {
        value: {
          tensor: { dtype: dt, shape: [1], data: dt === 'float64' ? new Float64Array(1) : new Float32Array(1) },
        },
      },
    );
    Z = g.op1('ScatterElements', [{ ...zerosBn, dtype: dt, shape: [B, n] }, idx, vals], { axis: 1 });
    xhat = g.op1('Add', [g.op1('MatMul', [Z, P.W_dec]), P.b_dec]);
  }
  const e = g.op1('Sub', [xhat, x]);
  const sq = g.op1('ReduceSum', [g.op1('Mul', [e, e])], { keepdims: 0 });
  const loss = g.op1('Div', [sq, bF]);
  // FVU: squared error over the batch's total variance around its mean.
  const xm = g.op1('Sub', [x, g.op1('ReduceMean', [x, g.ints([0])], { keepdims: 1 })]);
  const fvu = g.op1('Div', [sq, g.op1('ReduceSum', [g.op1('Mul', [xm, xm])], { keepdims: 0 })]);
  const dxhat = g.op1('Div', [g.op1('Mul', [e, c(2)]), bF]); // [B, d]
  let gW_dec: Value;
  let gW_enc: Value;
  let gb_enc: Value;
  let dxcSum: Value;
  const flat = (kk: number) =>
    g.op1('Concat', [g.op1('Reshape', [g.op1('Mul', [tokens, g.ints([kk])]), g.ints([1])]), g.ints([d])], { axis: 0 });
  /** Gradients through the kk active rows of each token, given the upstream gradient `dout` [B, d] of a decoder output. */
  const sparseBackward = (v: Value, ix: Value, kk: number, sel: Value, dout: Value) => {
    const r = g.op1('Reshape', [ix, g.ints([-1, 1])]);
    const dv = g.op1('Reshape', [g.op1('MatMul', [sel, g.op1('Unsqueeze', [dout, g.ints([2])])]), g.ints([-1, kk])]); // [B, kk]
    const ds = g.op1('Mul', [dv, g.op1('Cast', [g.op1('Greater', [v, c(0)])], { to: dt === 'float64' ? 11 : 1 })]);
    // Outer products of the active coefficients with each token's vector, scattered into the active rows.
    const updDec = g.op1('Reshape', [
      g.op1('Mul', [g.op1('Unsqueeze', [v, g.ints([2])]), g.op1('Unsqueeze', [dout, g.ints([1])])]),
      flat(kk),
    ]);
    const updEnc = g.op1('Reshape', [
      g.op1('Mul', [g.op1('Unsqueeze', [ds, g.ints([2])]), g.op1('Unsqueeze', [xc, g.ints([1])])]),
      flat(kk),
    ]);
    const bEnc = g.op1('ScatterND', [zerosLike(`zeros_n_${kk}`, [n]), r, g.op1('Reshape', [ds, g.ints([-1])])], {
      reduction: 'add',
    });
    return {
      W_dec: g.op1('ScatterND', [zerosLike(`zeros_dec_${kk}`, [n, d]), r, updDec], { reduction: 'add' }),
      W_enc: g.op1('ScatterND', [zerosLike(`zeros_enc_${kk}`, [n, d]), r, updEnc], { reduction: 'add' }),
      b_enc: bEnc,
      // Sum over tokens of d loss / d xc = sum_b sum_s ds[b,s] W_enc[ix[b,s]] = (d loss / d b_enc) W_enc: a matvec, no [B, kk, d] gather.
      dxcSum: g.op1('Reshape', [g.op1('MatMul', [g.op1('Unsqueeze', [bEnc, g.ints([0])]), P.W_enc]), g.ints([d])]),
    };
  };
  if (o.variant === 'sparse') {
    const main = sparseBackward(vals, idx, k, Wsel as Value, dxhat);
    gW_dec = main.W_dec;
    gW_enc = main.W_enc;
    gb_enc = main.b_enc;
    dxcSum = main.dxcSum;
  } else {
    const Zt = g.op1('Transpose', [Z as Value], { perm: [1, 0] });
    gW_dec = g.op1('MatMul', [Zt, dxhat]);
    const dZ = g.op1('MatMul', [dxhat, g.op1('Transpose', [P.W_dec], { perm: [1, 0] })]);
    const mask = g.op1('Cast', [g.op1('Greater', [Z as Value, c(0)])], { to: dt === 'float64' ? 11 : 1 });
    const dpre = g.op1('Mul', [dZ, mask]);
    gW_enc = g.op1('MatMul', [g.op1('Transpose', [dpre], { perm: [1, 0] }), xc]);
    gb_enc = g.op1('ReduceSum', [dpre, g.ints([0])], { keepdims: 0 });
    dxcSum = g.op1('ReduceSum', [g.op1('MatMul', [dpre, P.W_enc]), g.ints([0])], { keepdims: 0 });
  }
  let auxLoss: Value | null = null;
  if (o.auxK !== undefined) {
    if (o.variant !== 'sparse') throw new RangeError('buildSaeStep: AuxK is built for the sparse variant only');
    const kk = o.auxK;
    const dead = g.input('dead', dt, [n]);
    const coef = g.input('aux_coef', dt, []);
    const [av, ai] = g.op('TopK', [g.op1('Mul', [g.op1('Relu', [pre]), dead]), g.ints([kk])], {
      axis: -1,
      largest: 1,
      sorted: 1,
    }) as [Value, Value];
    const asel = g.op1('Gather', [P.W_dec, ai], { axis: 0 }); // [B, kk, d]
    const ehat = g.op1('Reshape', [g.op1('MatMul', [g.op1('Unsqueeze', [av, g.ints([1])]), asel]), g.ints([-1, d])]);
    const r = g.op1('Add', [ehat, e]); // e_hat - (x - x_hat); x - x_hat is a constant here (no gradient flows into it)
    auxLoss = g.op1('Div', [g.op1('ReduceSum', [g.op1('Mul', [r, r])], { keepdims: 0 }), bF]);
    const aux = sparseBackward(av, ai, kk, asel, g.op1('Mul', [g.op1('Div', [g.op1('Mul', [r, c(2)]), bF]), coef]));
    gW_dec = g.op1('Add', [gW_dec, aux.W_dec]);
    gW_enc = g.op1('Add', [gW_enc, aux.W_enc]);
    gb_enc = g.op1('Add', [gb_enc, aux.b_enc]);
    dxcSum = g.op1('Add', [dxcSum, aux.dxcSum]);
  }
  const gb_dec = g.op1('Sub', [g.op1('ReduceSum', [dxhat, g.ints([0])], { keepdims: 0 }), dxcSum]);
  const grads: Record<SaeParamName, Value> = { W_enc: gW_enc, b_enc: gb_enc, W_dec: gW_dec, b_dec: gb_dec };
  g.output(loss, 'loss');
  g.output(fvu, 'fvu');
  g.output(idx, 'idx');
  if (auxLoss) g.output(auxLoss, 'aux_loss');
  if (o.mode === 'grads') {
    for (const p of SAE_PARAMS) g.output(grads[p], `grad_${p}`);
    return g;
  }
  const lr = g.input('lr', dt, []);
  const t = g.input('t', dt, []);
  for (const p of SAE_PARAMS) {
    const u = adamUpdate(
      g,
      P[p],
      grads[p],
      g.input(`m_${p}`, dt, P[p].shape as number[]),
      g.input(`v_${p}`, dt, P[p].shape as number[]),
      lr,
      t,
      SAE_ADAM,
    );
    let out = u.param;
    if (p === 'W_dec') {
      // Decoder directions back to unit norm after every update.
      const norm = g.op1('Sqrt', [g.op1('ReduceSum', [g.op1('Mul', [out, out]), g.ints([1])], { keepdims: 1 })]);
      out = g.op1('Div', [out, g.op1('Max', [norm, c(1e-12)])]);
    }
    g.output(out, `new_${p}`);
    g.output(u.m, `new_m_${p}`);
    g.output(u.v, `new_v_${p}`);
  }
  return g;
}
