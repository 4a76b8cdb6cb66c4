import type { Graph } from '../graph/graph.ts';
import type { NodeRecord, Value } from '../graph/types.ts';
import { isFloat, scalar, zerosLike } from './helpers.ts';
import { differentiableOps, lookupOp } from '../graph/ops/index.ts';

export interface GradientOptions {
  /** What to return for a parameter the loss does not depend on: zeros (default) or an error. */
  readonly unreachable?: 'zeros' | 'error';
}

/**
 * Reverse-mode differentiation: appends to `g` the nodes computing d(loss)/d(w) for each w in `wrt`,
 * and returns those gradient values in order. `loss` must be a float scalar (or a one-element tensor).
 */
export function gradients(g: Graph, loss: Value, wrt: readonly Value[], options: GradientOptions = {}): Value[] {
  if (!isFloat(loss)) throw new Error(`gradients: loss '${loss.name}' is ${loss.dtype}, not a float`);
  if (loss.shape && loss.shape.some((d) => d !== 1))
    throw new Error(`gradients: loss '${loss.name}' must be a scalar, has shape [${loss.shape.join(',')}]`);
  const producer = new Map<string, NodeRecord>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);

  // Nodes the loss depends on, then the subset that depends on some wrt value.
  const needed = new Set<NodeRecord>();
  const stack = [loss.name];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const n = producer.get(name);
    if (!n) continue;
    needed.add(n);
    for (const i of n.inputs) if (i) stack.push(i);
  }
  const wrtNames = new Set(wrt.map((w) => w.name));
  const live = new Set<string>(wrtNames);
  const order = g.nodes.filter((n) => needed.has(n));
  const onPath: NodeRecord[] = [];
  for (const n of order) {
    if (n.inputs.some((i) => live.has(i))) {
      onPath.push(n);
      for (const o of n.outputs) live.add(o);
    }
  }

  const grads = new Map<string, Value>();
  const accumulate = (name: string, v: Value) => {
    const prev = grads.get(name);
    grads.set(name, prev ? { ...g.op1('Add', [prev, v]), shape: prev.shape } : v);
  };
  grads.set(loss.name, scalar(g, 1, loss));
  for (let k = onPath.length - 1; k >= 0; k--) {
    const n = onPath[k] as NodeRecord;
    const dOuts = n.outputs.map((o) => grads.get(o) ?? null);
    if (dOuts.every((x) => x === null)) continue;
    const op = lookupOp(n.opType);
    if (op.grad === 'none')
      throw new Error(
        `gradients: ${n.opType} (node '${n.name}') is not differentiable (${op.file} marks it so); differentiable ops: ${differentiableOps.join(', ')}`,
      );
    const ins = n.inputs.map((i) => (i ? g.value(i) : null));
    const outs = n.outputs.map((o) => g.value(o));
    const dIns = op.grad(g, n, ins, outs, dOuts);
    dIns.forEach((d, i) => {
      const name = n.inputs[i];
      if (d && name && live.has(name) && isFloat(g.value(name))) accumulate(name, d);
    });
  }
  return wrt.map((w) => {
    const d = grads.get(w.name);
    if (d) return d;
    if (options.unreachable === 'error')
      throw new Error(`gradients: loss '${loss.name}' does not depend on '${w.name}'`);
    return zerosLike(g, w);
  });
}
