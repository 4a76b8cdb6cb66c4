// What one op declares: its attributes (a schema the builder's types are derived from and checks at run time),
// its shape rule and its gradient rule. The families beside this file fill these in; ./index.ts joins them.
import type { Graph } from '../graph.ts';
import type { AttrValue, DType, Dim, NodeRecord, TensorData, Value } from '../types.ts';

export interface InferredOutput {
  readonly dtype: DType;
  readonly shape: readonly Dim[] | null;
}

/** What a shape rule may ask of the graph: constant tensors, for shape-carrying inputs. */
export interface ConstantLookup {
  readonly initializers: ReadonlyMap<string, TensorData>;
}

/** A FLOAT attribute, boxed: a bare integral number would be written as INT (libs/engine/src/graph/to-onnx.ts). */
export interface FloatAttr {
  readonly float: number;
}

/** The TensorProto.DataType codes of the element types in libs/engine/src/graph/types.ts (Cast's `to`). */
export type ElemTypeCode = 1 | 2 | 6 | 7 | 9 | 10 | 11;
export const elemTypeCodes: Readonly<Record<ElemTypeCode, DType>> = {
  1: 'float32',
  2: 'uint8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
};

/** Attribute kinds and the TypeScript type a caller passes for each. */
interface KindTypes {
  int: number;
  /** An INT used as a boolean (keepdims, transA). */
  flag: 0 | 1;
  float: FloatAttr;
  string: string;
  ints: readonly number[];
  floats: { readonly floats: readonly number[] };
  tensor: { readonly tensor: TensorData };
  elemType: ElemTypeCode;
}
export type AttrKind = keyof KindTypes;

/** One attribute: its kind, a string enum, or a kind the op cannot do without. */
export type AttrSpec = AttrKind | { readonly oneOf: readonly string[] } | { readonly required: AttrKind };
export type AttrSchema = { readonly [name: string]: AttrSpec };
/** A family's ops by name, each with its attribute schema. */
export type SchemaMap = { readonly [op: string]: AttrSchema };

type SpecType<S> = S extends AttrKind
  ? KindTypes[S]
  : S extends { readonly oneOf: readonly (infer L)[] }
    ? L
    : S extends { readonly required: infer K extends AttrKind }
      ? KindTypes[K]
      : never;
type RequiredKeys<S> = { [P in keyof S]: S[P] extends { readonly required: AttrKind } ? P : never }[keyof S];

/** An op without attributes takes `{}` only: `{ axis: 1 }` is a type error (a plain `{}` type would accept it). */
export type NoAttrs = { readonly [name: string]: never };

/** The attribute object a caller passes for an op with schema S. */
export type AttrsOf<S extends AttrSchema> = [keyof S] extends [never]
  ? NoAttrs
  : {
      readonly [P in Exclude<keyof S, RequiredKeys<S>>]?: SpecType<S[P]>;
    } & {
      readonly [P in RequiredKeys<S>]: SpecType<S[P]>;
    };

/** Output types and shapes from input values and attributes; throws (a message) on a mismatch. */
export type ShapeRule<A> = (ins: readonly (Value | null)[], attrs: A, g: ConstantLookup) => InferredOutput[];

/** A node as a gradient rule sees it: its attributes typed by its op. */
export interface OpNode<A> extends Omit<NodeRecord, 'attrs'> {
  readonly attrs: A;
}

/** Inputs' gradients from the outputs' gradients (null: no gradient flows there). */
export type GradRule<A = AnyAttrs> = (
  g: Graph,
  node: OpNode<A>,
  ins: readonly (Value | null)[],
  outs: readonly Value[],
  dOuts: readonly (Value | null)[],
) => (Value | null)[];

/** Attributes as stored on a node, whatever its op. */
export type AnyAttrs = { readonly [name: string]: AttrValue | undefined };

export interface OpDef<A> {
  readonly shape: ShapeRule<A>;
  /** 'none': the op has no gradient; autodiff through it is an error naming it. */
  readonly grad: GradRule<A> | 'none';
}

/** Every op of a schema map with its rules; a missing or extra op is a type error. */
export type OpTable<M extends SchemaMap> = { readonly [K in keyof M]: OpDef<AttrsOf<M[K]>> };

/** A family as the registry (./index.ts) takes it; `file` is named in errors and docs. */
export interface Family {
  readonly file: string;
  readonly attrs: SchemaMap;
  readonly ops: { readonly [op: string]: OpDef<AnyAttrs> };
}

/**
 * Types a family's table against its schema map, then erases the per-op attribute types for the registry;
 * Graph.op checks attributes against the schema before any rule sees them (checkAttrs), so the rules' view holds.
 */
export function family<M extends SchemaMap>(file: string, attrs: M, ops: OpTable<M>): Family {
  return { file, attrs, ops: ops as unknown as Family['ops'] };
}

function kindOk(kind: AttrKind, v: AttrValue): boolean {
  const isObj = typeof v === 'object' && v !== null && !Array.isArray(v);
  switch (kind) {
    case 'int':
      return Number.isInteger(v);
    case 'flag':
      return v === 0 || v === 1;
    case 'float':
      return isObj && 'float' in v && typeof v.float === 'number';
    case 'string':
      return typeof v === 'string';
    case 'ints':
      return Array.isArray(v) && v.every((x) => Number.isInteger(x));
    case 'floats':
      return isObj && 'floats' in v && Array.isArray(v.floats);
    case 'tensor':
      return isObj && 'tensor' in v;
    case 'elemType':
      return typeof v === 'number' && v in elemTypeCodes;
  }
}

function specText(spec: AttrSpec): string {
  if (typeof spec === 'string') return spec;
  if ('oneOf' in spec) return spec.oneOf.map((s) => `'${s}'`).join(' | ');
  return spec.required;
}

/**
 * The runtime half of the attribute types, for graphs built from data: an attribute the op does not declare,
 * a value of the wrong kind, or a missing required one is an error naming the attribute and the schema.
 */
export function checkAttrs(opType: string, schema: AttrSchema, attrs: AnyAttrs): void {
  const declared = Object.keys(schema);
  for (const [name, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    const spec = schema[name];
    if (spec === undefined)
      throw new Error(
        `${opType} has no attribute '${name}' (${declared.length ? `its attributes: ${declared.join(', ')}` : 'it takes none'})`,
      );
    const ok =
      typeof spec === 'string'
        ? kindOk(spec, v)
        : 'oneOf' in spec
          ? typeof v === 'string' && spec.oneOf.includes(v)
          : kindOk(spec.required, v);
    if (!ok) throw new Error(`${opType} attribute '${name}' must be ${specText(spec)}, got ${JSON.stringify(v)}`);
  }
  for (const [name, spec] of Object.entries(schema))
    if (typeof spec === 'object' && 'required' in spec && attrs[name] === undefined)
      throw new Error(`${opType} needs attribute '${name}' (${spec.required})`);
}
