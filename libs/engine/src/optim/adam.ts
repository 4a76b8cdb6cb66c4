import type { Graph } from '../graph/graph.ts';
import type { Value } from '../graph/types.ts';

export interface AdamConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay (AdamW); 0 gives plain Adam. */
  readonly weightDecay: number;
  /**
   * Clip the global gradient norm (over every parameter) to this before the update, as torch's
   * clip_grad_norm_ does; absent or 0 leaves gradients as they are (and the graph as it was).
   */
  readonly maxGradNorm?: number;
}

export const ADAM_DEFAULTS: AdamConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export interface AdamUpdate {
  readonly param: Value;
  readonly m: Value;
  readonly v: Value;
}

/**
 * One Adam/AdamW update as graph nodes. `lr` and `step` (1-based, float) are scalar graph inputs, so a
 * schedule costs nothing and bias correction (1 - beta^t) is computed in the graph.
 * AdamW: p <- p - lr * (m_hat / (sqrt(v_hat) + eps) + wd * p), with decay skipped where `decay` is false.
 */
export function adamUpdate(
  g: Graph,
  p: Value,
  grad: Value,
  m: Value,
  v: Value,
  lr: Value,
  step: Value,
  cfg: AdamConfig,
  decay = true,
): AdamUpdate {
  const c = (x: number) => g.constant([x], [], p.dtype === 'float64' ? 'float64' : 'float32');
  const m1 = g.op1('Add', [g.op1('Mul', [m, c(cfg.beta1)]), g.op1('Mul', [grad, c(1 - cfg.beta1)])]);
  const v1 = g.op1('Add', [
    g.op1('Mul', [v, c(cfg.beta2)]),
    g.op1('Mul', [g.op1('Mul', [grad, grad]), c(1 - cfg.beta2)]),
  ]);
  const bc1 = g.op1('Sub', [c(1), g.op1('Pow', [c(cfg.beta1), step])]);
  const bc2 = g.op1('Sub', [c(1), g.op1('Pow', [c(cfg.beta2), step])]);
  const mHat = g.op1('Div', [m1, bc1]);
  const vHat = g.op1('Div', [v1, bc2]);
  let upd = g.op1('Div', [mHat, g.op1('Add', [g.op1('Sqrt', [vHat]), c(cfg.eps)])]);
  if (cfg.weightDecay !== 0 && decay) upd = g.op1('Add', [upd, g.op1('Mul', [p, c(cfg.weightDecay)])]);
  const p1 = g.op1('Sub', [p, g.op1('Mul', [upd, lr])]);
  return { param: { ...p1, shape: p.shape }, m: { ...m1, shape: p.shape }, v: { ...v1, shape: p.shape } };
}

/**
 * Scales every gradient by min(1, maxNorm / (||g|| + 1e-6)), ||g|| the L2 norm over all of them (torch's
 * clip_grad_norm_ rule); returns the scaled gradients and the norm before clipping (logged by trainers).
 */
export function clipGlobalNorm(g: Graph, grads: readonly Value[], maxNorm: number): { grads: Value[]; norm: Value } {
  if (!(maxNorm > 0)) throw new RangeError(`clipGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  if (grads.length === 0) throw new RangeError('clipGlobalNorm: no gradients');
  const f = (x: number) => g.constant([x], [], 'float32');
  let sq: Value | undefined;
  for (const gr of grads) {
    const s = g.op1('ReduceSumSquare', [gr], { keepdims: 0 });
    sq = sq ? g.op1('Add', [sq, s]) : s;
  }
  const norm = g.op1('Sqrt', [sq as Value]);
  const scale = g.op1('Min', [f(1), g.op1('Div', [f(maxNorm), g.op1('Add', [norm, f(1e-6)])])]);
  return { grads: grads.map((gr) => ({ ...g.op1('Mul', [gr, scale]), shape: gr.shape })), norm };
}
