import { Graph } from '../graph/graph.ts';
import { scalarOutput, type Value } from '../graph/types.ts';
import { runRng } from '../rng/rng.ts';
import { Session } from '../runtime/session.ts';
import { gradients } from './gradients.ts';

export interface GradCheckInput {
  readonly name: string;
  readonly shape: readonly number[];
  /** Fixed values (default: standard normal draws). */
  readonly values?: readonly number[];
  /** Inputs that are not differentiated (indices, masks) keep their dtype. */
  readonly dtype?: 'float64' | 'int64' | 'bool';
}

export interface GradCheckResult {
  readonly maxAbsError: number;
  readonly maxRelError: number;
  readonly analytic: Float64Array[];
  readonly numeric: Float64Array[];
}

/**
 * Compares engine gradients with central finite differences in float64: loss = sum(f(inputs) * R) for a
 * fixed random R, differentiated with respect to every float input.
 */
export async function gradCheck(
  inputs: readonly GradCheckInput[],
  f: (g: Graph, xs: Value[]) => Value,
  options: { seed?: number; h?: number } = {},
): Promise<GradCheckResult> {
  const rng = runRng(options.seed ?? 0).stream('grad-check');
  const g = new Graph('gradcheck');
  const xs = inputs.map((i) => g.input(i.name, i.dtype ?? 'float64', i.shape));
  const y = f(g, xs);
  if (!y.shape || !y.shape.every((d) => typeof d === 'number'))
    throw new Error(`gradCheck: output shape must be static, got ${JSON.stringify(y.shape)}`);
  const n = (y.shape as number[]).reduce((a, b) => a * b, 1);
  const r = g.initializer('R', {
    dtype: 'float64',
    shape: y.shape as number[],
    data: Float64Array.from(rng.normalArray(n)),
  });
  const loss = g.op1('ReduceSum', [g.op1('Mul', [y.dtype === 'float64' ? y : g.op1('Cast', [y], { to: 11 }), r])], {
    keepdims: 0,
  });
  const floats = xs.filter((_, i) => (inputs[i]?.dtype ?? 'float64') === 'float64');
  const grads = gradients(g, loss, floats);
  g.output(loss, 'loss');
  grads.forEach((d, i) => g.output(d, `grad_${i}`));
  const sess = await Session.create(g, { threads: 1 });
  const feeds: Record<
    string,
    { dtype: 'float64' | 'int64' | 'bool'; shape: number[]; data: Float64Array | BigInt64Array | Uint8Array }
  > = {};
  inputs.forEach((inp) => {
    const size = inp.shape.reduce((a, b) => a * b, 1);
    const dtype = inp.dtype ?? 'float64';
    const vals = inp.values ?? Array.from(rng.normalArray(size));
    feeds[inp.name] = {
      dtype,
      shape: [...inp.shape],
      data:
        dtype === 'int64'
          ? BigInt64Array.from(vals, (v) => BigInt(v))
          : dtype === 'bool'
            ? Uint8Array.from(vals)
            : Float64Array.from(vals),
    };
  });
  const base = await sess.run(feeds);
  const analytic = grads.map((_, i) => Float64Array.from(base[`grad_${i}`]?.data as Float64Array));
  const lossAt = async () => scalarOutput(await sess.run(feeds, ['loss']), 'loss', 'gradCheck');
  const h = options.h ?? 1e-6;
  const numeric: Float64Array[] = [];
  let maxAbs = 0;
  let maxRel = 0;
  let k = 0;
  for (const inp of inputs) {
    if ((inp.dtype ?? 'float64') !== 'float64') continue;
    const data = feeds[inp.name]?.data as Float64Array;
    const num = new Float64Array(data.length);
    for (let j = 0; j < data.length; j++) {
      const v = data[j] as number;
      data[j] = v + h;
      const lp = await lossAt();
      data[j] = v - h;
      const lm = await lossAt();
      data[j] = v;
      num[j] = (lp - lm) / (2 * h);
      const a = analytic[k]?.[j] ?? NaN;
      const err = Math.abs(a - (num[j] as number));
      maxAbs = Math.max(maxAbs, err);
      maxRel = Math.max(maxRel, err / Math.max(1, Math.abs(num[j] as number)));
      if (Number.isNaN(a)) maxRel = Infinity;
    }
    numeric.push(num);
    k++;
  }
  await sess.release();
  return { maxAbsError: maxAbs, maxRelError: maxRel, analytic, numeric };
}
