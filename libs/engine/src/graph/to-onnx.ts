import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { Graph } from './graph.ts';
import type { AttrValue, DType, Dim, TensorData, Value } from './types.ts';

const { onnx } = onnxProto;

/** The opset every saetrace graph targets: Reduce* take axes as an input from 18 on. */
export const OPSET = 18;

const elemType: Readonly<Record<DType, number>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
  uint8: onnx.TensorProto.DataType.UINT8,
};

export function onnxElemType(dtype: DType): number {
  return elemType[dtype];
}

function dimProto(d: Dim): OnnxTypes.TensorShapeProto.IDimension {
  return typeof d === 'number' ? { dimValue: d } : { dimParam: d };
}

function valueInfo(v: Value): OnnxTypes.IValueInfoProto {
  const tensorType: OnnxTypes.TypeProto.ITensor = { elemType: elemType[v.dtype] };
  if (v.shape) tensorType.shape = { dim: v.shape.map(dimProto) };
  return { name: v.name, type: { tensorType } };
}

function tensorProto(name: string, t: TensorData): OnnxTypes.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dims: [...t.shape], dataType: elemType[t.dtype], rawData: bytes };
}

function attribute(name: string, v: AttrValue): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { name, type: T.FLOAT, f: v };
    return { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string')
      return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: T.INTS, ints: v as number[] };
  }
  if ('floats' in (v as object))
    return { name, type: T.FLOATS, floats: [...(v as { floats: readonly number[] }).floats] };
  if ('float' in (v as object)) return { name, type: T.FLOAT, f: (v as { float: number }).float };
  return { name, type: T.TENSOR, t: tensorProto(name, (v as { tensor: TensorData }).tensor) };
}

/**
 * Serialises a graph to ONNX ModelProto bytes that onnxruntime loads. Initializers no node or output reads
 * (a checkpoint's weights above a tap, an unused constant) are left out: they would only be copied, and
 * onnxruntime warns "Removing initializer ..." for each one (graph.cc CleanUnusedInitializersAndNodeArgs).
 */
export function toOnnx(g: Graph): Uint8Array {
  const used = new Set<string>(g.outputs.map((v) => v.name));
  for (const n of g.nodes) for (const i of n.inputs) used.add(i);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'saetrace',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: n.domain,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
      })),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map((v) => valueInfo(v)),
      initializer: [...g.initializers].filter(([name]) => used.has(name)).map(([name, t]) => tensorProto(name, t)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
