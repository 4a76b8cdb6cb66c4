import { test } from 'uvu';
import * as assert from 'uvu/assert';
import onnxProto from 'onnx-proto';
import {
  type AttrValue,
  availableProviders,
  Graph,
  isOpType,
  type OpType,
  ortLogSeverity,
  ShapeError,
  Session,
  toOnnx,
} from '../index.ts';

test('builds, infers shapes and runs a small graph through onnxruntime', async () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('w', { dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  const y = g.op1('MatMul', [x, w]);
  assert.equal(y.shape, ['batch', 2]);
  const s = g.op1('ReduceSum', [y, g.ints([1])], { keepdims: 0 });
  assert.equal(s.shape, ['batch']);
  g.output(y, 'y');
  g.output(s, 's');
  const sess = await Session.create(g, { threads: 1 });
  const out = await sess.run({ x: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 0, 0, 0, 1, 1]) } });
  assert.equal(Array.from(out.y!.data as Float32Array), [1, 2, 8, 10]);
  assert.equal(Array.from(out.s!.data as Float32Array), [3, 18]);
  await sess.release();
});

test('shape mismatch names the node and operand shapes', () => {
  const g = new Graph('t');
  const a = g.input('a', 'float32', [4, 5]);
  const b = g.input('b', 'float32', [6, 7]);
  try {
    g.op1('MatMul', [a, b], {}, { name: 'proj' });
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, ShapeError);
    assert.match((err as Error).message, /MatMul node 'proj'.*5 and 6.*a:float32\[4,5\].*b:float32\[6,7\]/);
  }
});

test('missing and unknown feeds are errors naming the input', async () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [1]);
  g.output(g.op1('Relu', [x]), 'y');
  const sess = await Session.create(g, { threads: 1 });
  await sess.run({}).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /missing feed for graph input 'x'/),
  );
  await sess
    .run({
      x: { dtype: 'float32', shape: [1], data: new Float32Array(1) },
      z: { dtype: 'float32', shape: [1], data: new Float32Array(1) },
    })
    .then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, /'z' is not an input/),
    );
});

test('asking for CUDA where it is absent is a clear error (and works where present)', async () => {
  const g = new Graph('t');
  g.output(g.op1('Relu', [g.input('x', 'float32', [1])]), 'y');
  if (availableProviders().includes('cuda')) {
    const s = await Session.create(g, { provider: 'cuda' });
    assert.ok(s.inputNames.includes('x'));
    return;
  }
  await Session.create(g, { provider: 'cuda' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /CUDA execution provider requested but not available/),
  );
});

test('toOnnx leaves out initializers that no node or output reads; the model still runs', async () => {
  const g = new Graph('prune');
  const x = g.input('x', 'float32', [2]);
  const w = g.initializer('w', { dtype: 'float32', shape: [2], data: Float32Array.from([2, 3]) });
  g.initializer('unused', { dtype: 'float32', shape: [1000], data: new Float32Array(1000) });
  const kept = g.initializer('passthrough', { dtype: 'float32', shape: [1], data: Float32Array.from([7]) });
  g.output(g.op1('Mul', [x, w]), 'y');
  g.output(kept, 'c');
  const names = onnxProto.onnx.ModelProto.decode(toOnnx(g)).graph?.initializer?.map((t) => t.name);
  assert.equal(names, ['w', 'passthrough']);
  const s = await Session.create(g, { threads: 1 });
  const out = await s.run({ x: { dtype: 'float32', shape: [2], data: Float32Array.from([1, 1]) } });
  assert.equal(Array.from(out.y?.data as Float32Array), [2, 3]);
  await s.release();
});

test('ortLogSeverity is errors-only by default and names a bad SAETRACE_ORT_LOG', () => {
  assert.is(ortLogSeverity({}), 3);
  assert.is(ortLogSeverity({ SAETRACE_ORT_LOG: '1' }), 1);
  assert.throws(
    () => ortLogSeverity({ SAETRACE_ORT_LOG: 'loud' }),
    /SAETRACE_ORT_LOG must be 0 \(verbose\) to 4 \(fatal\), got 'loud'/,
  );
});

test('an unknown op is refused when the node is built, naming the op and where ops are declared', () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [2, 3]);
  assert.throws(
    // @ts-expect-error an unknown op is a type error; this checks the runtime refusal for graphs built from data.
    () => g.op1('MatMull', [x, x], {}, { name: 'typo' }),
    (e: Error) => {
      assert.instance(e, ShapeError);
      assert.match(
        e.message,
        /MatMull node 'typo'.*unknown op 'MatMull' \(known: .*MatMul.*\); ops are declared in libs\/engine\/src\/graph\/ops\//,
      );
      return true;
    },
  );
});

test('op names and attributes are type-checked, and refused at run time when the types are bypassed', () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [2, 2]);
  // Each call is a tsc error (an unused directive fails the typecheck) and a runtime ShapeError.
  // @ts-expect-error Gemm declares no transC
  assert.throws(() => g.op1('Gemm', [x, x], { transC: 1 }), /Gemm has no attribute 'transC'/);
  // @ts-expect-error Relu takes no attributes
  assert.throws(() => g.op1('Relu', [x], { axis: 1 }), /Relu has no attribute 'axis'/);
  // @ts-expect-error keepdims is 0 or 1
  assert.throws(() => g.op1('ReduceSum', [x], { keepdims: 2 }), /'keepdims' must be flag/);
  // @ts-expect-error Gemm's alpha is a FLOAT, boxed
  assert.throws(() => g.op1('Gemm', [x, x], { alpha: 2 }), /'alpha' must be float/);
  // @ts-expect-error Cast cannot do without `to`
  assert.throws(() => g.op1('Cast', [x]), /Cast needs attribute 'to'/);
  // @ts-expect-error not one of ScatterND's reductions
  assert.throws(() => g.op1('ScatterND', [x, x, x], { reduction: 'sum' }), /'reduction' must be 'none' \| 'add'/);
  assert.equal(g.op1('Gemm', [x, x], { transB: 1, alpha: { float: 1 } }).shape, [2, 2]);
  const dynamic: string = 'Relu';
  assert.ok(isOpType(dynamic) && !isOpType('MatMull'));
  if (isOpType(dynamic)) assert.equal(g.op(dynamic, [x]).length, 1);
});

test('attributes are checked against the op declaration: unknown, of the wrong kind, or missing', () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [2, 3]);
  const attempt = (op: string, attrs: Record<string, AttrValue>) => () => g.op1(op as OpType, [x], attrs as never);
  assert.throws(attempt('Relu', { axis: 1 }), /Relu has no attribute 'axis' \(it takes none\)/);
  assert.throws(attempt('Softmax', { dim: 1 }), /Softmax has no attribute 'dim' \(its attributes: axis\)/);
  assert.throws(attempt('Softmax', { axis: 0.5 }), /Softmax attribute 'axis' must be int, got 0.5/);
  assert.throws(attempt('ReduceSum', { keepdims: 2 }), /ReduceSum attribute 'keepdims' must be flag, got 2/);
  assert.throws(attempt('Cast', {}), /Cast needs attribute 'to' \(elemType\)/);
  assert.throws(attempt('Cast', { to: 3 }), /Cast attribute 'to' must be elemType, got 3/);
  assert.throws(attempt('Transpose', { perm: [1.5, 0] }), /Transpose attribute 'perm' must be ints/);
  assert.throws(attempt('Gemm', { alpha: 2 }), /Gemm attribute 'alpha' must be float, got 2/);
  assert.throws(attempt('Pad', { mode: 'mirror' }), /Pad attribute 'mode' must be 'constant' \| 'reflect'/);
});

test.run();
