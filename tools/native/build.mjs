#!/usr/bin/env node
// Builds the optional native kernels (libs/*/native/*.c) as Node-API addons with the system C compiler.
// Runs at `npm ci` (postinstall) and as `npm run build:native`. A machine without a compiler or Node's
// headers still installs: the libraries then use their onnxruntime paths and say so in their results.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ADDONS = [{ src: 'libs/sae/native/sae_step.c', out: 'libs/sae/native/build/sae_step.node' }];

function nodeHeaders() {
  const candidates = [process.env.npm_config_nodedir, dirname(dirname(process.execPath)), '/usr', '/usr/local'].filter(
    Boolean,
  );
  for (const c of candidates) if (existsSync(join(c, 'include/node/node_api.h'))) return join(c, 'include/node');
  return null;
}

const headers = nodeHeaders();
const cc = process.env.CC || 'cc';
let failed = 0;
for (const a of ADDONS) {
  const out = join(root, a.out);
  if (!headers) {
    console.log(
      `native: skipped ${a.out} (no node_api.h found; set npm_config_nodedir); the onnxruntime path is used instead`,
    );
    continue;
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    // -march=native: the addon is built on the machine that runs it; no -ffast-math, NaN checks must hold.
    execFileSync(
      cc,
      [
        '-O3',
        '-march=native',
        '-std=c11',
        '-D_POSIX_C_SOURCE=200809L',
        '-fPIC',
        '-shared',
        '-Wall',
        `-I${headers}`,
        join(root, a.src),
        '-o',
        tmp,
        '-lpthread',
        '-lm',
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    renameSync(tmp, out);
    console.log(`native: built ${a.out}`);
  } catch (e) {
    rmSync(tmp, { force: true });
    failed++;
    console.log(
      `native: could not build ${a.out} with ${cc} (${e instanceof Error ? e.message.split('\n')[0] : e}); the onnxruntime path is used instead`,
    );
  }
}
process.exitCode = process.argv.includes('--strict') && failed > 0 ? 1 : 0;
