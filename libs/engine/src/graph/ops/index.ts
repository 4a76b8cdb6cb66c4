// The op registry: every family's ops in one table that refuses a name declared twice. The builder's shape
// check (Graph.op), autodiff's gradient lookup and the OpType/OpAttrs types all come from here.
import type { AttrValue, Value } from '../types.ts';
import { activations, type activationAttrs } from './activations.ts';
import { elementwise, type elementwiseAttrs } from './elementwise.ts';
import { indexing, type indexingAttrs } from './indexing.ts';
import { matmul, type matmulAttrs } from './matmul.ts';
import {
  type AnyAttrs,
  type AttrSchema,
  type AttrsOf,
  checkAttrs,
  type ConstantLookup,
  type Family,
  type GradRule,
  type InferredOutput,
  type SchemaMap,
  type ShapeRule,
} from './op-def.ts';
import { reduce, type reduceAttrs } from './reduce.ts';
import { shape, type shapeAttrs } from './shape.ts';

/** A new family is one more entry here and in OpAttrs below (libs/engine/src/graph/ops/README.md). */
const families: readonly Family[] = [elementwise, activations, matmul, reduce, shape, indexing];

type AttrsMap<M extends SchemaMap> = { [K in keyof M]: AttrsOf<M[K]> };

/** Each op's attribute object, as Graph.op takes it. */
export type OpAttrs = AttrsMap<typeof elementwiseAttrs> &
  AttrsMap<typeof activationAttrs> &
  AttrsMap<typeof matmulAttrs> &
  AttrsMap<typeof reduceAttrs> &
  AttrsMap<typeof shapeAttrs> &
  AttrsMap<typeof indexingAttrs>;

/** The ops a graph may contain. */
export type OpType = keyof OpAttrs & string;

export interface RegisteredOp {
  readonly opType: string;
  /** The family module that declares it, for error messages. */
  readonly file: string;
  readonly attrs: AttrSchema;
  readonly shape: ShapeRule<AnyAttrs>;
  readonly grad: GradRule | 'none';
}

/** Joins families into one lookup; a name two families (or one, twice) declare is an error naming both files. */
export function buildRegistry(list: readonly Family[]): ReadonlyMap<string, RegisteredOp> {
  const out = new Map<string, RegisteredOp>();
  for (const f of list) {
    for (const opType of Object.keys(f.attrs)) {
      const def = f.ops[opType];
      if (!def) throw new Error(`op registry: ${opType} has attributes but no rules in ${f.file}`);
      const prev = out.get(opType);
      if (prev) throw new Error(`op registry: ${opType} is declared in both ${prev.file} and ${f.file}`);
      out.set(opType, { opType, file: f.file, attrs: f.attrs[opType] as AttrSchema, shape: def.shape, grad: def.grad });
    }
    for (const opType of Object.keys(f.ops))
      if (!(opType in f.attrs)) throw new Error(`op registry: ${opType} has rules but no attributes in ${f.file}`);
  }
  return out;
}

const registry = buildRegistry(families);

/** Every registered op, sorted. */
export const knownOps: readonly OpType[] = [...registry.keys()].sort() as OpType[];

/** The registered ops that have a gradient rule. */
export const differentiableOps: readonly OpType[] = knownOps.filter((k) => registry.get(k)?.grad !== 'none');

export function isOpType(name: string): name is OpType {
  return registry.has(name);
}

/** The registry entry of an op; an unknown name is an error listing the known ones. */
export function lookupOp(opType: string): RegisteredOp {
  const op = registry.get(opType);
  if (!op)
    throw new Error(
      `unknown op '${opType}' (known: ${knownOps.join(', ')}); ops are declared in libs/engine/src/graph/ops/ (README.md there)`,
    );
  return op;
}

/**
 * Output types and shapes of one op after checking its attributes against its declaration. Unknown ops and
 * attributes are refused here, so a misspelling fails at graph construction, not as an unknown shape downstream.
 */
export function inferShapes(
  opType: string,
  ins: readonly (Value | null)[],
  attrs: Readonly<Record<string, AttrValue>>,
  g: ConstantLookup,
): InferredOutput[] {
  const op = lookupOp(opType);
  checkAttrs(opType, op.attrs, attrs);
  return op.shape(ins, attrs, g);
}

export type { ConstantLookup, InferredOutput };
