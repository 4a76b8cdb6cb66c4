import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gradients } from '../../autodiff/gradients.ts';
import { Graph } from '../graph.ts';
import { activations } from './activations.ts';
import { elementwise } from './elementwise.ts';
import { buildRegistry, differentiableOps, isOpType, knownOps, lookupOp } from './index.ts';
import { family } from './op-def.ts';
import { unary } from './shape-util.ts';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));

test('a name declared twice, or with attributes but no rules, is refused naming the files', () => {
  assert.throws(
    () => buildRegistry([elementwise, activations, elementwise]),
    /op registry: Add is declared in both libs\/engine\/src\/graph\/ops\/elementwise\.ts and libs\/engine\/src\/graph\/ops\/elementwise\.ts/,
  );
  const other = family('elsewhere.ts', { Relu: {} }, { Relu: { shape: unary, grad: 'none' } });
  assert.throws(
    () => buildRegistry([activations, other]),
    /Relu is declared in both .*activations\.ts and elsewhere\.ts/,
  );
  assert.throws(
    () => buildRegistry([{ file: 'f.ts', attrs: { Foo: {} }, ops: {} }]),
    /Foo has attributes but no rules in f\.ts/,
  );
  assert.throws(
    () => buildRegistry([{ file: 'f.ts', attrs: {}, ops: { Foo: { shape: unary, grad: 'none' } } }]),
    /Foo has rules but no attributes in f\.ts/,
  );
});

test('every op names an existing family file; the differentiable ops are those with a gradient rule', () => {
  assert.equal([...knownOps], [...knownOps].sort());
  for (const op of knownOps) {
    assert.ok(isOpType(op));
    assert.ok(existsSync(`${repoRoot}${lookupOp(op).file}`), `${op}: ${lookupOp(op).file}`);
  }
  assert.equal(
    [...differentiableOps],
    knownOps.filter((op) => lookupOp(op).grad !== 'none'),
  );
  assert.ok(differentiableOps.includes('Gemm') && !differentiableOps.includes('ReduceMax'));
  assert.throws(
    () => lookupOp('Conv'),
    /unknown op 'Conv' \(known: Abs, Add, .*\); ops are declared in libs\/engine\/src\/graph\/ops\//,
  );
});

test('autodiff through an op marked grad: none names the op, its node and its family file', () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [2, 3]);
  const sum = (v: ReturnType<Graph['op1']>) => g.op1('ReduceSum', [v], { keepdims: 0 });
  const cases: [string, ReturnType<Graph['op1']>, string][] = [
    ['Softplus', g.op1('Softplus', [x]), 'activations'],
    ['ReduceMax', g.op1('ReduceMax', [x, g.ints([1])]), 'reduce'],
    ['Max', g.op1('Max', [x, x]), 'elementwise'],
    ['Pad', g.op1('Pad', [x, g.ints([0, 1, 0, 1])]), 'shape'],
  ];
  for (const [op, y, fam] of cases)
    assert.throws(
      () => gradients(g, sum(y), [x]),
      new RegExp(
        `gradients: ${op} \\(node '${op}_\\d+'\\) is not differentiable \\(libs/engine/src/graph/ops/${fam}\\.ts marks it so\\)`,
      ),
    );
});

test.run();
