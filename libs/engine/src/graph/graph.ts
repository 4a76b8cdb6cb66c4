import { ShapeError } from './shape-error.ts';
import { type InferredOutput, inferShapes, type OpAttrs, type OpType } from './ops/index.ts';
import type { AttrValue, DType, Dim, NodeRecord, TensorData, Value } from './types.ts';

export interface OpOptions {
  /** Number of outputs (default 1). */
  readonly outputs?: number;
  /** Node name; defaults to `<opType>_<counter>`. */
  readonly name?: string;
  readonly domain?: string;
}

/**
 * What follows an op's inputs: its attributes (checked against libs/engine/src/graph/ops/, so an attribute the op
 * does not declare is a type error), then options. Attributes may be left out where the op requires none.
 */
export type OpArgs<K extends OpType> =
  Record<never, never> extends OpAttrs[K]
    ? [attrs?: OpAttrs[K], options?: OpOptions]
    : [attrs: OpAttrs[K], options?: OpOptions];

/**
 * Builds an ONNX graph from TypeScript. Every op is shape-checked as it is added, so a mistake
 * surfaces at the line that made it, naming the node and the operand shapes.
 */
export class Graph {
  readonly nodes: NodeRecord[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly initializers = new Map<string, TensorData>();
  private readonly values = new Map<string, Value>();
  private counter = 0;

  constructor(readonly name = 'saetrace') {}

  /** A fresh name with the given prefix, unique in this graph. */
  fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.values.has(n));
    return n;
  }

  /** The value with this name; throws for an unknown name (a builder bug, not user input). */
  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new Error(`graph '${this.name}' has no value named '${name}'`);
    return v;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  private define(v: Value): Value {
    if (this.values.has(v.name)) throw new Error(`graph '${this.name}': value '${v.name}' is defined twice`);
    this.values.set(v.name, v);
    return v;
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    const v = this.define({ name, dtype, shape: [...shape] });
    this.inputs.push(v);
    return v;
  }

  /** A named constant stored in the model (weights that do not change between runs). */
  initializer(name: string, tensor: TensorData): Value {
    const expected = tensor.shape.reduce((a, b) => a * b, 1);
    if (tensor.data.length !== expected) {
      throw new Error(`initializer '${name}': ${tensor.data.length} elements for shape [${tensor.shape.join(',')}]`);
    }
    this.initializers.set(name, tensor);
    return this.define({ name, dtype: tensor.dtype, shape: [...tensor.shape] });
  }

  /** An anonymous constant: a float32 scalar or array, or int64 when given bigints. */
  constant(
    values: number | readonly number[] | readonly bigint[],
    shape?: readonly number[],
    dtype: DType = 'float32',
  ): Value {
    const arr: readonly (number | bigint)[] = typeof values === 'number' ? [values] : values;
    const dims = shape ?? (typeof values === 'number' ? [] : [arr.length]);
    const isBig = arr.length > 0 && typeof arr[0] === 'bigint';
    const dt: DType = isBig ? 'int64' : dtype;
    let data: TensorData['data'];
    if (dt === 'int64') data = BigInt64Array.from(arr, (x) => BigInt(x));
    else if (dt === 'int32') data = Int32Array.from(arr, Number);
    else if (dt === 'float32') data = Float32Array.from(arr, Number);
    else if (dt === 'float64') data = Float64Array.from(arr, Number);
    else if (dt === 'bool' || dt === 'uint8') data = Uint8Array.from(arr, Number);
    else throw new Error(`constant: unsupported dtype ${dt}`);
    return this.initializer(this.fresh('const'), { dtype: dt, shape: dims, data });
  }

  /** int64 1-D constant, the form ONNX wants for shapes, axes and indices. */
  ints(values: readonly number[]): Value {
    return this.constant(
      values.map((x) => BigInt(x)),
      [values.length],
    );
  }

  /**
   * Adds a node; checks its attributes, infers and checks its output types and shapes. `opType` is checked at
   * compile time and again here, for graphs built from data (`isOpType` narrows a string).
   */
  op<K extends OpType>(opType: K, inputs: readonly (Value | null)[], ...args: OpArgs<K>): Value[] {
    const [given, options = {}] = args as [OpAttrs[K] | undefined, OpOptions | undefined];
    // Attributes set to undefined are left out, as if not given: ONNX has no undefined attribute.
    const attrs: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(given ?? {}) as [string, AttrValue | undefined][])
      if (v !== undefined) attrs[k] = v;
    const name = options.name ?? this.fresh(opType);
    for (const v of inputs) {
      if (v && !this.values.has(v.name))
        throw new Error(`${opType} node '${name}': input '${v.name}' is not in graph '${this.name}'`);
    }
    const present = inputs.filter((v): v is Value => v !== null);
    let inferred: InferredOutput[];
    try {
      inferred = inferShapes(opType, inputs, attrs, this);
    } catch (err) {
      if (err instanceof ShapeError) throw err;
      throw new ShapeError(name, opType, present, err instanceof Error ? err.message : String(err));
    }
    const count = options.outputs ?? inferred.length;
    const outs: Value[] = [];
    for (let i = 0; i < count; i++) {
      const info = inferred[i] ?? { dtype: 'float32', shape: null };
      outs.push(this.define({ name: `${name}:${i}`, dtype: info.dtype, shape: info.shape }));
    }
    this.nodes.push({
      opType,
      name,
      attrs,
      domain: options.domain ?? '',
      inputs: inputs.map((v) => (v ? v.name : '')),
      outputs: outs.map((o) => o.name),
    });
    return outs;
  }

  /** Single-output shorthand for `op`. */
  op1<K extends OpType>(opType: K, inputs: readonly (Value | null)[], ...args: OpArgs<K>): Value {
    return this.op(opType, inputs, ...args)[0] as Value;
  }

  /** Marks a value as a graph output under `name` (an Identity node when renamed). */
  output(v: Value, name?: string): Value {
    let out = v;
    if (name !== undefined && name !== v.name) out = this.op1('Identity', [v], {}, { name: `out_${name}` });
    const renamed: Value = name !== undefined ? { ...out, name } : out;
    if (name !== undefined) this.renameValue(out.name, name);
    this.outputs.push(renamed);
    return renamed;
  }

  private renameValue(from: string, to: string): void {
    if (this.values.has(to)) throw new Error(`graph '${this.name}': output name '${to}' is already used`);
    const v = this.value(from);
    this.values.delete(from);
    this.values.set(to, { ...v, name: to });
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i] as NodeRecord;
      if (n.outputs.includes(from) || n.inputs.includes(from)) {
        this.nodes[i] = {
          ...n,
          outputs: n.outputs.map((o) => (o === from ? to : o)),
          inputs: n.inputs.map((o) => (o === from ? to : o)),
        };
      }
    }
  }
}
