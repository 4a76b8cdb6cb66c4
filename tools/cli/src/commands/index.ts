// The registry of CLI commands: one import and one entry per command module.
import type { Command } from '../command.ts';
import { benchCommand } from './bench.ts';
import { corpusCommand } from './corpus.ts';
import { zooCommand } from './zoo.ts';
import { runCommand } from './run.ts';
import { metricsCommand } from './metrics.ts';
import { validateCommand } from './validate.ts';
import { activationsCommand } from './activations.ts';
import { tokenizerCommand } from './tokenizer.ts';
import { saeCommand } from './sae.ts';
import { doctorCommand } from './doctor.ts';
import { browseCommand } from './browse.ts';
import { findingsCommand } from './findings.ts';
import { pairsCommand } from './pairs.ts';
import { spreadCommand } from './spread.ts';
import { slurmCommand } from './slurm.ts';
import { planCommand } from './plan.ts';
import { jobCommand } from './job.ts';
import { estimateCommand } from './estimate.ts';

export const commands: readonly Command[] = [
  benchCommand,
  corpusCommand,
  zooCommand,
  runCommand,
  metricsCommand,
  validateCommand,
  activationsCommand,
  tokenizerCommand,
  saeCommand,
  doctorCommand,
  browseCommand,
  findingsCommand,
  pairsCommand,
  spreadCommand,
  slurmCommand,
  planCommand,
  jobCommand,
  estimateCommand,
];
