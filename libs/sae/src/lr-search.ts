import type { SessionOptions } from '@saetrace/engine';
import type { SaeConfig } from './config.ts';
import { trainSae, type ActivationBatches, type SaeTrainResult } from './trainer.ts';

/** The paper's learning-rate grid (Figure 11, Table 2). */
export const PAPER_LR_GRID: readonly number[] = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3];

export interface LrSearchRow {
  readonly lr: number;
  readonly mse: number;
  readonly fvu: number;
  readonly l0: number;
  readonly deadFraction: number;
  readonly seconds: number;
}

/**
 * Trains one SAE per learning rate on the same batches (a fresh source per run) and picks the lowest
 * validation MSE, as the paper chose Table 2. A run that diverges (non-finite loss) is reported with
 * MSE Infinity rather than aborting the search.
 */
export async function searchLearningRate(options: {
  readonly config: SaeConfig;
  readonly batches: () => ActivationBatches;
  readonly steps: number;
  readonly validation: () => AsyncIterable<Float32Array> | Iterable<Float32Array>;
  readonly grid?: readonly number[];
  readonly session?: SessionOptions;
}): Promise<{ rows: LrSearchRow[]; best: LrSearchRow }> {
  const grid = options.grid ?? PAPER_LR_GRID;
  if (grid.length === 0) throw new RangeError('searchLearningRate: the grid is empty');
  const rows: LrSearchRow[] = [];
  for (const lr of grid) {
    let r: SaeTrainResult;
    try {
      r = await trainSae({
        config: { ...options.config, lr },
        batches: options.batches(),
        steps: options.steps,
        session: options.session,
        validation: { batches: options.validation, every: Number.MAX_SAFE_INTEGER },
      });
    } catch (e) {
      if (e instanceof Error && /loss is .* at step/.test(e.message)) {
        rows.push({ lr, mse: Infinity, fvu: Infinity, l0: 0, deadFraction: 1, seconds: 0 });
        continue;
      }
      throw e;
    }
    const v = r.validation.at(-1)!;
    rows.push({ lr, mse: v.mse, fvu: v.fvu, l0: v.l0, deadFraction: v.deadFraction, seconds: r.seconds });
  }
  const best = rows.reduce((a, b) => (b.mse < a.mse ? b : a));
  return { rows, best };
}

/**
 * The rate Table 2 reports: the lowest validation MSE, where rates within `tieRtol` of it count as tied and
 * the smallest tied rate is chosen. Near-ties are real (Figure 11's curves flatten at the grid's top), and
 * the MSE of one rate moves by up to 0.6% between CPU families, so an exact argmin flips between machines.
 */
export function chooseRate(rows: readonly LrSearchRow[], tieRtol: number): LrSearchRow {
  if (rows.length === 0) throw new RangeError('chooseRate: no rows');
  if (!(tieRtol >= 0)) throw new RangeError(`chooseRate: tieRtol must be >= 0, got ${tieRtol}`);
  const lowest = Math.min(...rows.map((r) => r.mse));
  const tied = rows.filter((r) => r.mse <= lowest * (1 + tieRtol));
  return tied.reduce((a, b) => (b.lr < a.lr ? b : a));
}
