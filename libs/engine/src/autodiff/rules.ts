import type { Graph } from '../graph/graph.ts';
import { constInts } from '../graph/shape-rules.ts';
import type { AttrValue, NodeRecord, Value } from '../graph/types.ts';
import { scalar, swapLast, unbroadcast, withShape, zerosLike } from './helpers.ts';

/** Inputs' gradients from the outputs' gradients (null: no gradient flows there). */
export type GradRule = (
  g: Graph,
  node: NodeRecord,
  ins: readonly (Value | null)[],
  outs: readonly Value[],
  dOuts: readonly (Value | null)[],
) => (Value | null)[];

const attrInt = (n: NodeRecord, k: string, d: number): number =>
  typeof n.attrs[k] === 'number' ? (n.attrs[k] as number) : d;
const req = (v: Value | null | undefined, what: string): Value => {
  if (!v) throw new Error(`autodiff: ${what} is missing`);
  return v;
};

function dy(dOuts: readonly (Value | null)[]): Value {
  return req(dOuts[0], 'output gradient');
}

const mul = (g: Graph, a: Value, b: Value) => g.op1('Mul', [a, b]);
const neg = (g: Graph, a: Value) => g.op1('Neg', [a]);

function broadcastBinary(
  g: Graph,
  n: NodeRecord,
  ins: readonly (Value | null)[],
  outs: readonly Value[],
  dA: Value | null,
  dB: Value | null,
): (Value | null)[] {
  const a = req(ins[0], `${n.opType} input 0`);
  const b = req(ins[1], `${n.opType} input 1`);
  const out = outs[0] as Value;
  return [dA ? unbroadcast(g, dA, a, out.shape) : null, dB ? unbroadcast(g, dB, b, out.shape) : null];
}

/** Unsqueezes a reduced gradient back to keepdims form and expands it to the input's runtime shape. */
function expandReduced(g: Graph, n: NodeRecord, x: Value, d: Value): Value {
  const rank = x.shape?.length;
  if (rank === undefined) throw new Error(`autodiff: ${n.opType} '${n.name}' needs a static input rank`);
  const given = n.inputs[1] ? constInts(g.value(n.inputs[1]), g) : null;
  const axes = (given && given.length > 0 ? given : [...Array(rank).keys()])
    .map((a) => (a < 0 ? a + rank : a))
    .sort((p, q) => p - q);
  let r = d;
  if (attrInt(n, 'keepdims', 1) === 0) r = g.op1('Unsqueeze', [r, g.ints(axes)]);
  return withShape(g.op1('Expand', [r, g.op1('Shape', [x])]), x);
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

export const rules: Readonly<Record<string, GradRule>> = {
  Identity: (_g, _n, _i, _o, d) => [dy(d)],
  Neg: (g, _n, _i, _o, d) => [neg(g, dy(d))],
  Add: (g, n, ins, outs, d) => broadcastBinary(g, n, ins, outs, dy(d), dy(d)),
  Sub: (g, n, ins, outs, d) => broadcastBinary(g, n, ins, outs, dy(d), neg(g, dy(d))),
  Mul: (g, n, ins, outs, d) =>
    broadcastBinary(g, n, ins, outs, mul(g, dy(d), req(ins[1], 'Mul b')), mul(g, dy(d), req(ins[0], 'Mul a'))),
  Div: (g, n, ins, outs, d) => {
    const b = req(ins[1], 'Div b');
    const da = g.op1('Div', [dy(d), b]);
    const db = neg(g, mul(g, da, outs[0] as Value));
    return broadcastBinary(g, n, ins, outs, da, db);
  },
  Pow: (g, n, ins, outs, d) => {
    const a = req(ins[0], 'Pow base');
    const p = req(ins[1], 'Pow exponent');
    const pc = p.dtype === a.dtype ? p : g.op1('Cast', [p], { to: a.dtype === 'float64' ? 11 : 1 });
    const da = mul(g, dy(d), mul(g, pc, g.op1('Pow', [a, g.op1('Sub', [pc, scalar(g, 1, a)])])));
    const exponentIsConst = g.initializers.has(p.name);
    const dp =
      exponentIsConst || p.dtype !== a.dtype ? null : mul(g, dy(d), mul(g, outs[0] as Value, g.op1('Log', [a])));
    return broadcastBinary(g, n, ins, outs, da, dp);
  },
  Sqrt: (g, _n, _i, outs, d) => [g.op1('Div', [mul(g, dy(d), scalar(g, 0.5, outs[0] as Value)), outs[0] as Value])],
  Reciprocal: (g, _n, _i, outs, d) => [neg(g, mul(g, dy(d), mul(g, outs[0] as Value, outs[0] as Value)))],
  Exp: (g, _n, _i, outs, d) => [mul(g, dy(d), outs[0] as Value)],
  Log: (g, _n, ins, _o, d) => [g.op1('Div', [dy(d), req(ins[0], 'Log x')])],
  Tanh: (g, _n, _i, outs, d) => {
    const y = outs[0] as Value;
    return [mul(g, dy(d), g.op1('Sub', [scalar(g, 1, y), mul(g, y, y)]))];
  },
  Sigmoid: (g, _n, _i, outs, d) => {
    const y = outs[0] as Value;
    return [mul(g, dy(d), mul(g, y, g.op1('Sub', [scalar(g, 1, y), y])))];
  },
  Relu: (g, _n, ins, _o, d) => {
    const x = req(ins[0], 'Relu x');
    const pos = g.op1('Greater', [x, scalar(g, 0, x)]);
    return [g.op1('Where', [pos, dy(d), scalar(g, 0, x)])];
  },
  MatMul: (g, n, ins, outs, d) => {
    const a = req(ins[0], 'MatMul a');
    const b = req(ins[1], 'MatMul b');
    const out = outs[0] as Value;
    const da = g.op1('MatMul', [dy(d), swapLast(g, b)]);
    const db = g.op1('MatMul', [swapLast(g, a), dy(d)]);
    // Batch axes broadcast like elementwise ops; the matrix axes already match.
    // Batch axes broadcast like elementwise ops (a leading axis, or a 1 against a larger size).
    const reduceTo = (grad: Value, target: Value): Value =>
      grad.shape ? unbroadcast(g, grad, target, grad.shape) : grad;
    if ((a.shape?.length ?? 0) < 2 || (b.shape?.length ?? 0) < 2)
      throw new Error(`autodiff: MatMul '${n.name}' with a rank-1 operand is not supported`);
    void out;
    return [reduceTo(da, a), reduceTo(db, b)];
  },
  Gemm: (g, n, ins, outs, d) => {
    const a = req(ins[0], 'Gemm A');
    const b = req(ins[1], 'Gemm B');
    const alpha = n.attrs.alpha;
    const beta = n.attrs.beta;
    const num = (v: AttrValue | undefined) =>
      typeof v === 'number' ? v : v && typeof v === 'object' && 'float' in v ? v.float : 1;
    if (num(alpha) !== 1 || num(beta) !== 1)
      throw new Error(`autodiff: Gemm '${n.name}' with alpha/beta other than 1 is not supported`);
    const tA = attrInt(n, 'transA', 0) === 1;
    const tB = attrInt(n, 'transB', 0) === 1;
    const G = dy(d);
    // Y = op(A) op(B): d op(A) = G op(B)^T, d op(B) = op(A)^T G.
    const da = tA
      ? g.op1('Gemm', [b, G], { transA: tB ? 1 : 0, transB: 1 })
      : g.op1('Gemm', [G, b], { transB: tB ? 0 : 1 });
    const db = tB
      ? g.op1('Gemm', [G, a], { transA: 1, transB: tA ? 1 : 0 })
      : g.op1('Gemm', [a, G], { transA: tA ? 0 : 1 });
    const c = ins[2];
    return [da, db, c ? unbroadcast(g, G, c, (outs[0] as Value).shape) : null];
  },
  ReduceSum: (g, n, ins, _o, d) => [expandReduced(g, n, req(ins[0], 'ReduceSum x'), dy(d)), null],
  ReduceMean: (g, n, ins, outs, d) => {
    const x = req(ins[0], 'ReduceMean x');
    const y = outs[0] as Value;
    const ratio = g.op1('Div', [
      g.op1('Cast', [g.op1('Size', [x])], { to: x.dtype === 'float64' ? 11 : 1 }),
      g.op1('Cast', [g.op1('Size', [y])], { to: x.dtype === 'float64' ? 11 : 1 }),
    ]);
    return [expandReduced(g, n, x, g.op1('Div', [dy(d), ratio])), null];
  },
  Softmax: (g, n, _i, outs, d) => {
    const y = outs[0] as Value;
    const axis = attrInt(n, 'axis', -1);
    const s = g.op1('ReduceSum', [mul(g, dy(d), y), g.ints([axis])], { keepdims: 1 });
    return [mul(g, y, g.op1('Sub', [dy(d), s]))];
  },
  LogSoftmax: (g, n, _i, outs, d) => {
    const y = outs[0] as Value;
    const axis = attrInt(n, 'axis', -1);
    const s = g.op1('ReduceSum', [dy(d), g.ints([axis])], { keepdims: 1 });
    return [g.op1('Sub', [dy(d), mul(g, g.op1('Exp', [y]), s)])];
  },
  Gather: (g, n, ins, _o, d) => {
    const data = req(ins[0], 'Gather data');
    if (attrInt(n, 'axis', 0) !== 0) throw new Error(`autodiff: Gather '${n.name}' is differentiable on axis 0 only`);
    let idx = req(ins[1], 'Gather indices');
    if (idx.dtype !== 'int64') idx = g.op1('Cast', [idx], { to: 7 });
    const idx1 = g.op1('Unsqueeze', [idx, g.ints([-1])]);
    return [withShape(g.op1('ScatterND', [zerosLike(g, data), idx1, dy(d)], { reduction: 'add' }), data), null];
  },
  GatherElements: (g, n, ins, _o, d) => {
    const data = req(ins[0], 'GatherElements data');
    const idx = req(ins[1], 'GatherElements indices');
    return [
      withShape(
        g.op1('ScatterElements', [zerosLike(g, data), idx, dy(d)], { axis: attrInt(n, 'axis', 0), reduction: 'add' }),
        data,
      ),
      null,
    ];
  },
  GatherND: (g, n, ins, _o, d) => {
    const data = req(ins[0], 'GatherND data');
    if (attrInt(n, 'batch_dims', 0) !== 0)
      throw new Error(`autodiff: GatherND '${n.name}' with batch_dims is not supported`);
    return [
      withShape(
        g.op1('ScatterND', [zerosLike(g, data), req(ins[1], 'GatherND indices'), dy(d)], { reduction: 'add' }),
        data,
      ),
      null,
    ];
  },
  ScatterElements: (g, n, ins, _o, d) => {
    const idx = req(ins[1], 'ScatterElements indices');
    const upd = req(ins[2], 'ScatterElements updates');
    const axis = attrInt(n, 'axis', 0);
    const add = n.attrs.reduction === 'add';
    const dData = add ? dy(d) : g.op1('ScatterElements', [dy(d), idx, zerosLike(g, upd)], { axis });
    return [dData, null, withShape(g.op1('GatherElements', [dy(d), idx], { axis }), upd)];
  },
  ScatterND: (g, n, ins, _o, d) => {
    const idx = req(ins[1], 'ScatterND indices');
    const upd = req(ins[2], 'ScatterND updates');
    const add = n.attrs.reduction === 'add';
    const dData = add ? dy(d) : g.op1('ScatterND', [dy(d), idx, zerosLike(g, upd)]);
    return [dData, null, withShape(g.op1('GatherND', [dy(d), idx]), upd)];
  },
  TopK: (g, n, ins, outs, d) => {
    const x = req(ins[0], 'TopK x');
    const dv = d[0];
    if (!dv) return [null, null];
    const axis = attrInt(n, 'axis', -1);
    return [
      withShape(g.op1('ScatterElements', [zerosLike(g, x), outs[1] as Value, dv], { axis, reduction: 'add' }), x),
      null,
    ];
  },
  Reshape: (g, _n, ins, _o, d) => {
    const x = req(ins[0], 'Reshape x');
    return [withShape(g.op1('Reshape', [dy(d), g.op1('Shape', [x])]), x), null];
  },
  Squeeze: (g, _n, ins, _o, d) => {
    const x = req(ins[0], 'Squeeze x');
    return [withShape(g.op1('Reshape', [dy(d), g.op1('Shape', [x])]), x), null];
  },
  Unsqueeze: (g, _n, ins, _o, d) => {
    const x = req(ins[0], 'Unsqueeze x');
    return [withShape(g.op1('Reshape', [dy(d), g.op1('Shape', [x])]), x), null];
  },
  Flatten: (g, _n, ins, _o, d) => {
    const x = req(ins[0], 'Flatten x');
    return [withShape(g.op1('Reshape', [dy(d), g.op1('Shape', [x])]), x)];
  },
  Transpose: (g, n, ins, _o, d) => {
    const x = req(ins[0], 'Transpose x');
    const rank = x.shape?.length;
    if (rank === undefined) throw new Error(`autodiff: Transpose '${n.name}' needs a static rank`);
    const perm = (n.attrs.perm as number[] | undefined) ?? [...Array(rank).keys()].reverse();
    return [g.op1('Transpose', [dy(d)], { perm: inversePerm(perm) })];
  },
  Expand: (g, _n, ins, outs, d) => [unbroadcast(g, dy(d), req(ins[0], 'Expand x'), (outs[0] as Value).shape), null],
  Where: (g, _n, ins, outs, d) => {
    const c = req(ins[0], 'Where condition');
    const a = req(ins[1], 'Where a');
    const b = req(ins[2], 'Where b');
    const z = scalar(g, 0, a);
    const out = (outs[0] as Value).shape;
    return [
      null,
      unbroadcast(g, g.op1('Where', [c, dy(d), z]), a, out),
      unbroadcast(g, g.op1('Where', [c, z, dy(d)]), b, out),
    ];
  },
  Cast: (g, _n, ins, _o, d) => {
    const x = req(ins[0], 'Cast x');
    if (x.dtype !== 'float32' && x.dtype !== 'float64' && x.dtype !== 'float16') return [null];
    return [g.op1('Cast', [dy(d)], { to: x.dtype === 'float64' ? 11 : x.dtype === 'float16' ? 10 : 1 })];
  },
  Slice: (g, n, ins, _o, d) => {
    const x = req(ins[0], 'Slice x');
    const shape = x.shape;
    const starts = constInts(ins[1], g);
    const ends = constInts(ins[2], g);
    if (!shape || !shape.every((s) => typeof s === 'number') || !starts || !ends)
      throw new Error(`autodiff: Slice '${n.name}' needs a static input shape and constant starts/ends`);
    const rank = shape.length;
    const axes = (constInts(ins[3], g) ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
    const steps = constInts(ins[4], g) ?? starts.map(() => 1);
    if (steps.some((s) => s !== 1))
      throw new Error(`autodiff: Slice '${n.name}' with steps other than 1 is not supported`);
    const pads = new Array<number>(2 * rank).fill(0);
    axes.forEach((ax, i) => {
      const dim = shape[ax] as number;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
      const s = clamp(starts[i] as number);
      const e = Math.max(clamp(ends[i] as number), s);
      pads[ax] = s;
      pads[ax + rank] = dim - e;
    });
    return [withShape(g.op1('Pad', [dy(d), g.ints(pads)]), x), null, null, null, null];
  },
  Concat: (g, n, ins, _o, d) => {
    const parts = ins.map((v) => req(v, 'Concat input'));
    const rank = parts[0]?.shape?.length;
    if (rank === undefined) throw new Error(`autodiff: Concat '${n.name}' needs static ranks`);
    const axisRaw = attrInt(n, 'axis', 0);
    const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
    const sizes = parts.map((p) => p.shape?.[axis]);
    if (!sizes.every((s): s is number => typeof s === 'number'))
      throw new Error(`autodiff: Concat '${n.name}' needs static sizes on axis ${axis}`);
    const pieces = g.op('Split', [dy(d), g.ints(sizes)], { axis }, { outputs: parts.length });
    return pieces.map((p, i) => withShape(p, parts[i] as Value));
  },
};

export const differentiableOps: readonly string[] = Object.keys(rules);
