/** Linear warm-up from lr/warmup to lr over `warmup` steps, then constant (the SAE recipe). 1-based step. */
export function warmupConstant(step: number, lr: number, warmup: number): number {
  if (step < 1) throw new RangeError(`warmupConstant: step is 1-based, got ${step}`);
  return warmup > 0 && step <= warmup ? (lr * step) / warmup : lr;
}

/** Linear warm-up, then cosine decay to `minRatio * lr` at `total` steps (the LM recipe). 1-based step. */
export function warmupCosine(step: number, lr: number, warmup: number, total: number, minRatio = 0.1): number {
  if (step < 1) throw new RangeError(`warmupCosine: step is 1-based, got ${step}`);
  if (warmup > 0 && step <= warmup) return (lr * step) / warmup;
  const span = Math.max(1, total - warmup);
  const t = Math.min(1, (step - warmup) / span);
  return lr * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
