import { gradients } from '../autodiff/gradients.ts';
import { Graph } from '../graph/graph.ts';
import { scalarOutput, type DType, type Dim, type TensorData, type Value } from '../graph/types.ts';
import { adamUpdate, ADAM_DEFAULTS, clipGlobalNorm, type AdamConfig } from '../optim/adam.ts';
import { Session, type SessionOptions } from '../runtime/session.ts';

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Float32Array;
  /** Whether AdamW's weight decay applies (default true; norms and biases usually false). */
  readonly decay?: boolean;
}

export interface DataInput {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** Builds the forward graph and loss from parameter and data values; extra outputs are fetched each step. */
export type LossBuilder = (
  g: Graph,
  params: Readonly<Record<string, Value>>,
  data: Readonly<Record<string, Value>>,
) => { loss: Value; extras?: Readonly<Record<string, Value>> };

export interface TrainState {
  readonly step: number;
  readonly params: Readonly<Record<string, Float32Array>>;
  readonly m: Readonly<Record<string, Float32Array>>;
  readonly v: Readonly<Record<string, Float32Array>>;
}

/**
 * Forward + backward + Adam(W) as ONE onnxruntime graph: parameters and optimiser moments go in as inputs
 * and come out updated; the host only swaps buffers between steps.
 */
export class TrainStep {
  private stepCount = 0;
  private constructor(
    private readonly session: Session,
    private readonly specs: readonly ParamSpec[],
    private params: Record<string, Float32Array>,
    private m: Record<string, Float32Array>,
    private v: Record<string, Float32Array>,
    readonly extraNames: readonly string[],
    private readonly clipped: boolean,
  ) {}

  static async create(options: {
    params: readonly ParamSpec[];
    data: readonly DataInput[];
    build: LossBuilder;
    adam?: Partial<AdamConfig>;
    session?: SessionOptions;
  }): Promise<TrainStep> {
    const cfg: AdamConfig = { ...ADAM_DEFAULTS, ...options.adam };
    const clip = cfg.maxGradNorm ?? 0;
    if (clip < 0 || !Number.isFinite(clip))
      throw new RangeError(`TrainStep: adam.maxGradNorm must be a finite number >= 0, got ${clip}`);
    const g = new Graph('train_step');
    const data: Record<string, Value> = {};
    for (const d of options.data) data[d.name] = g.input(d.name, d.dtype, d.shape);
    const pv: Record<string, Value> = {};
    for (const p of options.params) {
      if (p.init.length !== p.shape.reduce((a, b) => a * b, 1))
        throw new Error(
          `TrainStep: parameter '${p.name}' init has ${p.init.length} values for shape [${p.shape.join(',')}]`,
        );
      pv[p.name] = g.input(`p.${p.name}`, 'float32', p.shape);
    }
    const lr = g.input('lr', 'float32', []);
    const t = g.input('t', 'float32', []);
    const { loss, extras } = options.build(g, pv, data);
    let grads = gradients(
      g,
      loss,
      options.params.map((p) => pv[p.name] as Value),
    );
    g.output(loss, 'loss');
    if (clip > 0) {
      const c = clipGlobalNorm(g, grads as Value[], clip);
      grads = c.grads;
      g.output(c.norm, 'gradNorm');
    }
    options.params.forEach((p, i) => {
      const m = g.input(`m.${p.name}`, 'float32', p.shape);
      const v = g.input(`v.${p.name}`, 'float32', p.shape);
      const u = adamUpdate(g, pv[p.name] as Value, grads[i] as Value, m, v, lr, t, cfg, p.decay ?? true);
      g.output(u.param, `p'.${p.name}`);
      g.output(u.m, `m'.${p.name}`);
      g.output(u.v, `v'.${p.name}`);
    });
    const extraNames = Object.keys(extras ?? {});
    for (const k of extraNames) g.output((extras as Record<string, Value>)[k] as Value, `x.${k}`);
    const session = await Session.create(g, options.session);
    const params: Record<string, Float32Array> = {};
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const p of options.params) {
      params[p.name] = Float32Array.from(p.init);
      m[p.name] = new Float32Array(p.init.length);
      v[p.name] = new Float32Array(p.init.length);
    }
    return new TrainStep(session, options.params, params, m, v, extraNames, clip > 0);
  }

  get step(): number {
    return this.stepCount;
  }

  /** Runs one optimiser step at learning rate `lr`; returns the loss before the update and the extras. */
  async run(
    data: Readonly<Record<string, TensorData>>,
    lr: number,
  ): Promise<{ loss: number; gradNorm?: number; extras: Record<string, TensorData> }> {
    const t = this.stepCount + 1;
    const feeds: Record<string, TensorData> = {
      ...data,
      lr: { dtype: 'float32', shape: [], data: Float32Array.of(lr) },
      t: { dtype: 'float32', shape: [], data: Float32Array.of(t) },
    };
    for (const p of this.specs) {
      feeds[`p.${p.name}`] = { dtype: 'float32', shape: p.shape, data: this.params[p.name] as Float32Array };
      feeds[`m.${p.name}`] = { dtype: 'float32', shape: p.shape, data: this.m[p.name] as Float32Array };
      feeds[`v.${p.name}`] = { dtype: 'float32', shape: p.shape, data: this.v[p.name] as Float32Array };
    }
    const out = await this.session.run(feeds);
    const loss = scalarOutput(out, 'loss', 'TrainStep');
    if (!Number.isFinite(loss))
      throw new Error(`TrainStep: loss is ${loss} at step ${t}; parameters were left at step ${this.stepCount}`);
    for (const p of this.specs) {
      this.params[p.name] = out[`p'.${p.name}`]?.data as Float32Array;
      this.m[p.name] = out[`m'.${p.name}`]?.data as Float32Array;
      this.v[p.name] = out[`v'.${p.name}`]?.data as Float32Array;
    }
    this.stepCount = t;
    const extras: Record<string, TensorData> = {};
    for (const k of this.extraNames) extras[k] = out[`x.${k}`] as TensorData;
    return this.clipped ? { loss, gradNorm: scalarOutput(out, 'gradNorm', 'TrainStep'), extras } : { loss, extras };
  }

  /** A copy-free view of the current state, for checkpoints. */
  state(): TrainState {
    return { step: this.stepCount, params: { ...this.params }, m: { ...this.m }, v: { ...this.v } };
  }

  /** Restores a saved state (resuming an interrupted run); shapes must match the parameter specs. */
  restore(s: TrainState): void {
    for (const p of this.specs) {
      for (const [what, table] of [
        ['params', s.params],
        ['m', s.m],
        ['v', s.v],
      ] as const) {
        const arr = table[p.name];
        if (!arr || arr.length !== p.init.length)
          throw new Error(`TrainStep.restore: ${what}.${p.name} is missing or has the wrong size`);
      }
      this.params[p.name] = Float32Array.from(s.params[p.name] as Float32Array);
      this.m[p.name] = Float32Array.from(s.m[p.name] as Float32Array);
      this.v[p.name] = Float32Array.from(s.v[p.name] as Float32Array);
    }
    this.stepCount = s.step;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
