import type { Progress, ProgressStage } from '@saetrace/engine';

/**
 * An extraction's onProgress as a progress stage, opened at its first forward batch (a store found
 * complete in the cache reports nothing) and ended with its last.
 */
export function extractStage(progress: Progress, name: string): (docsDone: number, docsTotal: number) => void {
  let stage: ProgressStage | undefined;
  return (done, total) => {
    stage ??= progress.stage(name, total, 'docs');
    stage.update(done);
    if (done >= total) stage.end(`${total} documents`);
  };
}

/**
 * trainFamily's onProgress as one stage per member (step/total, tokens/s, loss, ETA); call `end` after
 * trainFamily returns to close the last member's stage.
 */
export function familyStages(
  progress: Progress,
  profile: { readonly batch: number; readonly seqLen: number },
): { onProgress: (size: string, step: number, steps: number, loss: number) => void; end: () => void } {
  let bar: { size: string; stage: ProgressStage; loss: number; step: number } | undefined;
  const close = (): void => bar?.stage.end(`${bar.step} steps, loss ${bar.loss.toFixed(3)}`);
  return {
    onProgress(size, step, steps, loss) {
      if (bar?.size !== size) {
        close();
        bar = {
          size,
          stage: progress.stage(`family ${size}`, steps, 'steps', {
            startAt: step,
            tokensPerUnit: profile.batch * (profile.seqLen - 1),
          }),
          loss,
          step,
        };
      }
      bar.loss = loss;
      bar.step = step;
      bar.stage.update(step, { loss });
    },
    end: close,
  };
}
