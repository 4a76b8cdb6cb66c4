import type { AttrValue, DType, Dim, TensorData, Value } from './types.ts';

export interface InferredOutput {
  readonly dtype: DType;
  readonly shape: readonly Dim[] | null;
}

/** What a rule may ask of the graph: constant tensors, for shape-carrying inputs. */
export interface ConstantLookup {
  readonly initializers: ReadonlyMap<string, TensorData>;
}

type Rule = (
  ins: readonly (Value | null)[],
  attrs: Readonly<Record<string, AttrValue>>,
  g: ConstantLookup,
) => InferredOutput[];

function req(ins: readonly (Value | null)[], i: number): Value {
  const v = ins[i];
  if (!v) throw new Error(`input ${i} is required`);
  return v;
}

/** Numpy-style broadcast of two shapes; symbolic dims must match by name or meet a 1. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === 'string' || typeof y === 'string') out.push(typeof x === 'number' ? y : x);
    else throw new Error(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
  }
  return out;
}

function sameDtype(ins: readonly Value[]): DType {
  const d = ins[0]?.dtype ?? 'float32';
  for (const v of ins)
    if (v.dtype !== d) throw new Error(`element types differ: ${ins.map((x) => x.dtype).join(' vs ')}`);
  return d;
}

function broadcastRule(outType?: DType): Rule {
  return (ins) => {
    const vs = ins.filter((v): v is Value => v !== null);
    const dt = sameDtype(vs);
    let shape: Dim[] | null = [];
    for (const v of vs) shape = shape && v.shape ? broadcastShapes(shape, v.shape) : null;
    return [{ dtype: outType ?? dt, shape }];
  };
}

const unary: Rule = (ins) => [{ dtype: req(ins, 0).dtype, shape: req(ins, 0).shape }];

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Integer contents of a constant input, or null when it is not a known constant. */
export function constInts(v: Value | null | undefined, g: ConstantLookup): number[] | null {
  if (!v) return null;
  const t = g.initializers.get(v.name);
  if (!t) return null;
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}

function int(attrs: Readonly<Record<string, AttrValue>>, key: string, dflt: number): number {
  const v = attrs[key];
  return typeof v === 'number' ? v : dflt;
}

function intList(attrs: Readonly<Record<string, AttrValue>>, key: string): number[] | null {
  const v = attrs[key];
  return Array.isArray(v) ? (v as number[]).map(Number) : null;
}

const matmul: Rule = (ins) => {
  const a = req(ins, 0);
  const b = req(ins, 1);
  const dtype = sameDtype([a, b]);
  if (!a.shape || !b.shape) return [{ dtype, shape: null }];
  if (a.shape.length < 1 || b.shape.length < 1) throw new Error('MatMul needs rank >= 1');
  const A = a.shape.length === 1 ? [1, a.shape[0] as Dim] : a.shape;
  const B = b.shape.length === 1 ? [b.shape[0] as Dim, 1] : b.shape;
  const k1 = A[A.length - 1] as Dim;
  const k2 = B[B.length - 2] as Dim;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2)
    throw new Error(`inner dimensions ${k1} and ${k2} differ`);
  const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2));
  const out: Dim[] = [...batch];
  if (a.shape.length > 1) out.push(A[A.length - 2] as Dim);
  if (b.shape.length > 1) out.push(B[B.length - 1] as Dim);
  return [{ dtype, shape: out }];
};

const gemm: Rule = (ins, attrs) => {
  const a = req(ins, 0);
  const b = req(ins, 1);
  const dtype = sameDtype([a, b]);
  if (!a.shape || !b.shape) return [{ dtype, shape: null }];
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error('Gemm needs 2-D operands');
  const [m, k1] = int(attrs, 'transA', 0) ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = int(attrs, 'transB', 0) ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2)
    throw new Error(`inner dimensions ${k1} and ${k2} differ`);
  const c = ins[2];
  const out: Dim[] = [m as Dim, n as Dim];
  if (c?.shape) broadcastShapes(out, c.shape);
  return [{ dtype, shape: out }];
};

function reduceRule(
  ins: readonly (Value | null)[],
  attrs: Readonly<Record<string, AttrValue>>,
  g: ConstantLookup,
): InferredOutput[] {
  const x = req(ins, 0);
  const keep = int(attrs, 'keepdims', 1) === 1;
  if (!x.shape) return [{ dtype: x.dtype, shape: null }];
  const given = ins[1] ? constInts(ins[1], g) : intList(attrs, 'axes');
  if (ins[1] && given === null) return [{ dtype: x.dtype, shape: null }];
  const rank = x.shape.length;
  const axes = new Set((given && given.length > 0 ? given : [...Array(rank).keys()]).map((a) => normAxis(a, rank)));
  const out: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return [{ dtype: x.dtype, shape: out }];
}

const reshape: Rule = (ins, attrs, g) => {
  const x = req(ins, 0);
  const target = constInts(ins[1], g);
  if (!target) return [{ dtype: x.dtype, shape: null }];
  const allowZero = int(attrs, 'allowzero', 0) === 1;
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x.shape?.[i] ?? '?') : d));
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1) throw new Error('Reshape allows at most one -1');
  if (x.shape && x.shape.every((d) => typeof d === 'number') && out.every((d) => typeof d === 'number')) {
    const total = (x.shape as number[]).reduce((a, b) => a * b, 1);
    const known = (out as number[]).filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (minus === 1) {
      if (total % known !== 0) throw new Error(`cannot reshape ${total} elements to [${target.join(',')}]`);
      out[out.indexOf(-1)] = total / known;
    } else if (known !== total) throw new Error(`cannot reshape ${total} elements to [${target.join(',')}]`);
  } else if (minus === 1) {
    out[out.indexOf(-1)] = '?';
  }
  return [{ dtype: x.dtype, shape: out }];
};

const transpose: Rule = (ins, attrs) => {
  const x = req(ins, 0);
  if (!x.shape) return [{ dtype: x.dtype, shape: null }];
  const rank = x.shape.length;
  const perm = intList(attrs, 'perm') ?? [...Array(rank).keys()].reverse();
  if (perm.length !== rank || [...perm].sort().some((p, i) => p !== i))
    throw new Error(`perm [${perm.join(',')}] is not a permutation of rank ${rank}`);
  return [{ dtype: x.dtype, shape: perm.map((p) => x.shape?.[p] as Dim) }];
};

const slice: Rule = (ins, _attrs, g) => {
  const x = req(ins, 0);
  const starts = constInts(ins[1], g);
  const ends = constInts(ins[2], g);
  if (!x.shape || !starts || !ends) return [{ dtype: x.dtype, shape: x.shape ? x.shape.map(() => '?') : null }];
  const rank = x.shape.length;
  const axes = constInts(ins[3], g) ?? starts.map((_, i) => i);
  const steps = constInts(ins[4], g) ?? starts.map(() => 1);
  const out: Dim[] = [...x.shape];
  axes.forEach((axRaw, i) => {
    const ax = normAxis(axRaw, rank);
    const dim = x.shape?.[ax] as Dim;
    const step = steps[i] as number;
    if (step === 0) throw new Error('Slice step must not be 0');
    if (typeof dim !== 'number') {
      out[ax] = '?';
      return;
    }
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i] as number;
    let e = ends[i] as number;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = clamp(s, 0, dim);
      e = clamp(e, 0, dim);
      out[ax] = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = clamp(s, -1, dim - 1);
      e = clamp(e, -1, dim - 1);
      out[ax] = Math.max(0, Math.ceil((s - e) / -step));
    }
  });
  return [{ dtype: x.dtype, shape: out }];
};

const concat: Rule = (ins, attrs) => {
  const vs = ins.filter((v): v is Value => v !== null);
  const dtype = sameDtype(vs);
  if (vs.some((v) => !v.shape)) return [{ dtype, shape: null }];
  const first = vs[0];
  if (!first?.shape) throw new Error('Concat: needs at least one input');
  const rank = first.shape.length;
  const axis = normAxis(int(attrs, 'axis', 0), rank);
  const out: Dim[] = [...first.shape];
  let sum: Dim = 0;
  for (const v of vs) {
    const s = v.shape as Dim[];
    if (s.length !== rank) throw new Error('Concat operands differ in rank');
    s.forEach((d, i) => {
      if (i !== axis && typeof d === 'number' && typeof out[i] === 'number' && d !== out[i])
        throw new Error(`Concat operands differ on axis ${i}`);
    });
    const d = s[axis] as Dim;
    sum = typeof sum === 'number' && typeof d === 'number' ? sum + d : '?';
  }
  out[axis] = sum;
  return [{ dtype, shape: out }];
};

const unsqueeze: Rule = (ins, _a, g) => {
  const x = req(ins, 0);
  const axes = constInts(ins[1], g);
  if (!x.shape || !axes) return [{ dtype: x.dtype, shape: null }];
  const rank = x.shape.length + axes.length;
  const norm = new Set(axes.map((a) => normAxis(a, rank)));
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(norm.has(i) ? 1 : (x.shape[j++] as Dim));
  return [{ dtype: x.dtype, shape: out }];
};

const squeeze: Rule = (ins, _a, g) => {
  const x = req(ins, 0);
  if (!x.shape) return [{ dtype: x.dtype, shape: null }];
  const axes = ins[1] ? constInts(ins[1], g) : null;
  const rank = x.shape.length;
  const set = new Set((axes ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(a, rank)));
  for (const a of set)
    if (typeof x.shape[a] === 'number' && x.shape[a] !== 1)
      throw new Error(`cannot squeeze axis ${a} of size ${x.shape[a]}`);
  return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !set.has(i)) }];
};

const gather: Rule = (ins, attrs) => {
  const x = req(ins, 0);
  const idx = req(ins, 1);
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32') throw new Error('Gather indices must be int64 or int32');
  if (!x.shape || !idx.shape) return [{ dtype: x.dtype, shape: null }];
  const axis = normAxis(int(attrs, 'axis', 0), x.shape.length);
  return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
};

const gatherElements: Rule = (ins) => {
  const x = req(ins, 0);
  const idx = req(ins, 1);
  if (x.shape && idx.shape && x.shape.length !== idx.shape.length)
    throw new Error('GatherElements operands differ in rank');
  return [{ dtype: x.dtype, shape: idx.shape }];
};

const scatter: Rule = (ins) => {
  const x = req(ins, 0);
  const upd = req(ins, 2);
  if (x.dtype !== upd.dtype) throw new Error('Scatter data and updates differ in element type');
  return [{ dtype: x.dtype, shape: x.shape }];
};

const gatherND: Rule = (ins, attrs) => {
  const x = req(ins, 0);
  const idx = req(ins, 1);
  if (!x.shape || !idx.shape) return [{ dtype: x.dtype, shape: null }];
  const b = int(attrs, 'batch_dims', 0);
  const last = idx.shape[idx.shape.length - 1];
  if (typeof last !== 'number') return [{ dtype: x.dtype, shape: null }];
  return [{ dtype: x.dtype, shape: [...idx.shape.slice(0, -1), ...x.shape.slice(b + last)] }];
};

const topk: Rule = (ins, attrs, g) => {
  const x = req(ins, 0);
  const k = constInts(ins[1], g)?.[0];
  if (!x.shape)
    return [
      { dtype: x.dtype, shape: null },
      { dtype: 'int64', shape: null },
    ];
  const axis = normAxis(int(attrs, 'axis', -1), x.shape.length);
  const dim = x.shape[axis];
  if (k !== undefined && typeof dim === 'number' && k > dim) throw new Error(`k=${k} exceeds axis size ${dim}`);
  const out = [...x.shape];
  out[axis] = k ?? '?';
  return [
    { dtype: x.dtype, shape: out },
    { dtype: 'int64', shape: out },
  ];
};

const cast: Rule = (ins, attrs) => {
  const to = int(attrs, 'to', 1);
  const map: Record<number, DType> = {
    1: 'float32',
    11: 'float64',
    10: 'float16',
    7: 'int64',
    6: 'int32',
    9: 'bool',
    2: 'uint8',
  };
  const dtype = map[to];
  if (!dtype) throw new Error(`Cast to element type ${to} is not supported`);
  return [{ dtype, shape: req(ins, 0).shape }];
};

const where: Rule = (ins) => {
  const c = req(ins, 0);
  const a = req(ins, 1);
  const b = req(ins, 2);
  if (c.dtype !== 'bool') throw new Error('Where condition must be bool');
  const dtype = sameDtype([a, b]);
  const shape = c.shape && a.shape && b.shape ? broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape) : null;
  return [{ dtype, shape }];
};

const expand: Rule = (ins, _a, g) => {
  const x = req(ins, 0);
  const target = constInts(ins[1], g);
  if (!x.shape || !target) return [{ dtype: x.dtype, shape: null }];
  return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, target) }];
};

const softmax: Rule = (ins, attrs) => {
  const x = req(ins, 0);
  if (x.shape) normAxis(int(attrs, 'axis', -1), x.shape.length);
  return [{ dtype: x.dtype, shape: x.shape }];
};

const shapeOp: Rule = (ins) => [{ dtype: 'int64', shape: [req(ins, 0).shape?.length ?? '?'] }];

const sizeOp: Rule = (ins) => {
  req(ins, 0);
  return [{ dtype: 'int64', shape: [] }];
};

/** The output's dtype is the `value` tensor's (float32 zeros when absent); its shape the constant shape input's. */
const constantOfShape: Rule = (ins, attrs, g) => {
  const value = attrs.value;
  const dtype = value && typeof value === 'object' && 'tensor' in value ? value.tensor.dtype : 'float32';
  const dims = constInts(req(ins, 0), g);
  return [{ dtype, shape: dims ?? null }];
};

/** Constant pads [begin..., end...] add to each axis; other pads leave the shape unknown. */
const pad: Rule = (ins, _a, g) => {
  const x = req(ins, 0);
  const pads = constInts(ins[1], g);
  if (!x.shape || !pads) return [{ dtype: x.dtype, shape: null }];
  const r = x.shape.length;
  if (pads.length !== 2 * r) throw new Error(`pads has ${pads.length} entries, needs ${2 * r} for rank ${r}`);
  return [
    {
      dtype: x.dtype,
      shape: x.shape.map((d, i) => (typeof d === 'number' ? d + (pads[i] as number) + (pads[i + r] as number) : '?')),
    },
  ];
};

/** One output per constant split size along the axis (the caller names the output count). */
const split: Rule = (ins, attrs, g) => {
  const x = req(ins, 0);
  const sizes = constInts(ins[1], g);
  if (!x.shape || !sizes) return [{ dtype: x.dtype, shape: null }];
  const axis = normAxis(int(attrs, 'axis', 0), x.shape.length);
  const dim = x.shape[axis];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (typeof dim === 'number' && total !== dim) throw new Error(`split sizes sum to ${total}, axis ${axis} has ${dim}`);
  return sizes.map((n) => {
    const out = [...(x.shape as Dim[])];
    out[axis] = n;
    return { dtype: x.dtype, shape: out };
  });
};

const rules: Record<string, Rule> = {
  MatMul: matmul,
  Gemm: gemm,
  Add: broadcastRule(),
  Sub: broadcastRule(),
  Mul: broadcastRule(),
  Div: broadcastRule(),
  Pow: (ins) =>
    broadcastRule()([req(ins, 0), { ...req(ins, 1), dtype: req(ins, 0).dtype }], {}, { initializers: new Map() }),
  Max: broadcastRule(),
  Min: broadcastRule(),
  Sum: broadcastRule(),
  Equal: broadcastRule('bool'),
  Less: broadcastRule('bool'),
  Greater: broadcastRule('bool'),
  LessOrEqual: broadcastRule('bool'),
  GreaterOrEqual: broadcastRule('bool'),
  And: broadcastRule('bool'),
  Or: broadcastRule('bool'),
  Sqrt: unary,
  Reciprocal: unary,
  Exp: unary,
  Log: unary,
  Sigmoid: unary,
  Relu: unary,
  Neg: unary,
  Abs: unary,
  Tanh: unary,
  Identity: unary,
  Erf: unary,
  Cos: unary,
  Sin: unary,
  Not: unary,
  Softplus: unary,
  Sign: unary,
  Floor: unary,
  Softmax: softmax,
  LogSoftmax: softmax,
  ReduceSum: reduceRule,
  ReduceMean: reduceRule,
  ReduceMax: reduceRule,
  ReduceMin: reduceRule,
  ReduceSumSquare: reduceRule,
  ReduceL2: reduceRule,
  Reshape: reshape,
  Transpose: transpose,
  Slice: slice,
  Concat: concat,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Gather: gather,
  GatherElements: gatherElements,
  ScatterElements: scatter,
  ScatterND: scatter,
  GatherND: gatherND,
  TopK: topk,
  Cast: cast,
  Where: where,
  Expand: expand,
  Shape: shapeOp,
  Size: sizeOp,
  ConstantOfShape: constantOfShape,
  Pad: pad,
  Split: split,
};

/**
 * Output types and shapes of one op. An op without a rule is refused when the node is built, naming it, so a
 * misspelt or unsupported op fails at graph construction rather than as an unknown shape downstream.
 */
export function inferShapes(
  opType: string,
  ins: readonly (Value | null)[],
  attrs: Readonly<Record<string, AttrValue>>,
  g: ConstantLookup,
): InferredOutput[] {
  const rule = rules[opType];
  if (!rule)
    throw new Error(
      `op '${opType}' has no shape rule (known: ${Object.keys(rules).sort().join(', ')}); add one in libs/engine/src/graph/shape-rules.ts`,
    );
  return rule(ins, attrs, g);
}

export const knownShapeOps: readonly string[] = Object.keys(rules);
