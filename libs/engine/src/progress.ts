/**
 * How long stages report how far they are, without printing anything themselves: libraries call these
 * methods and the CLI decides what a terminal, a log file or a script sees (tools/cli/src/progress.ts).
 */
export interface ProgressStage {
  /** `done` of the stage's total units so far; fields (loss, FVU) are shown beside the rate and ETA. */
  update(done: number, fields?: Readonly<Record<string, number | string>>): void;
  /** The stage's one-line summary; no update may follow. */
  end(summary?: string): void;
}

export interface StageOptions {
  /** Units already done before this process started (a resumed run), left out of the rate. */
  readonly startAt?: number;
  /** Tokens per unit, to show tokens/s. */
  readonly tokensPerUnit?: number;
}

export interface Progress {
  /** A run-level line printed before any stage (what will be built and roughly how long). */
  plan(line: string): void;
  /** Starts a stage of `total` units named by `unit` (steps, docs, rows). */
  stage(name: string, total: number, unit: string, options?: StageOptions): ProgressStage;
  /** A line that is neither a plan nor a stage (a result worth seeing as it comes). */
  note(line: string): void;
}

const silentStage: ProgressStage = { update() {}, end() {} };

/** Reports nothing: the default wherever no reporter is passed. */
export const noProgress: Progress = { plan() {}, stage: () => silentStage, note() {} };
