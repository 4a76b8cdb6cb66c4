import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { availableProviders, defaultThreads } from '@saetrace/engine';
import { checkedMember, FAMILY_PROFILES, type FamilyManifest } from '@saetrace/lm';
import { nativeStepAvailable } from '@saetrace/sae';
import { defineCommand } from '../command.ts';

/** One finding: ok, a warning (works, slower or partial) or a failure (broken install), with the fix. */
export interface Check {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  readonly fix?: string;
}

/** Bytes under a directory (0 when absent); symlinks are not followed. */
export function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30
    ? `${(n / 2 ** 30).toFixed(2)} GiB`
    : n >= 2 ** 20
      ? `${(n / 2 ** 20).toFixed(1)} MiB`
      : n >= 1024
        ? `${(n / 1024).toFixed(0)} KiB`
        : `${n} B`;
}

export interface DoctorEnv {
  readonly root: string;
  readonly nodeVersion: string;
  readonly env: NodeJS.ProcessEnv;
}

function nodeCheck(version: string): Check {
  const major = Number(/^v?(\d+)/.exec(version)?.[1]);
  return major >= 20
    ? { name: 'node', status: 'ok', detail: version }
    : {
        name: 'node',
        status: 'fail',
        detail: `${version}; package.json engines needs >= 20`,
        fix: 'install Node.js 20 or newer',
      };
}

function nativeCheck(root: string, env: NodeJS.ProcessEnv): Check {
  const addon = join(root, 'libs/sae/native/build/sae_step.node');
  if (env.SAETRACE_NATIVE === '0')
    return {
      name: 'native SAE kernel',
      status: 'warn',
      detail: 'disabled by SAETRACE_NATIVE=0: SAE steps use the onnxruntime graph',
      fix: 'unset SAETRACE_NATIVE',
    };
  if (!existsSync(addon)) {
    let why = 'not built';
    try {
      execFileSync(env.CC || 'cc', ['--version'], { stdio: 'ignore' });
    } catch {
      why = `no C compiler (${env.CC || 'cc'})`;
    }
    return {
      name: 'native SAE kernel',
      status: 'warn',
      detail: `${why}: SAE steps use the slower onnxruntime graph`,
      fix: 'npm run build:native (needs a C compiler and Node headers)',
    };
  }
  return nativeStepAvailable()
    ? { name: 'native SAE kernel', status: 'ok', detail: addon }
    : {
        name: 'native SAE kernel',
        status: 'fail',
        detail: `${addon} exists but does not load`,
        fix: 'npm run build:native',
      };
}

function onnxruntimeChecks(root: string): Check[] {
  const out: Check[] = [];
  let version = '?';
  try {
    version = (
      JSON.parse(readFileSync(join(root, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    /* reported below */
  }
  let providers: string[];
  try {
    createRequire(join(root, 'package.json'))('onnxruntime-node');
    providers = availableProviders();
    out.push({ name: 'onnxruntime-node', status: 'ok', detail: `${version}, providers ${providers.join(', ')}` });
  } catch (e) {
    return [
      {
        name: 'onnxruntime-node',
        status: 'fail',
        detail: `does not load: ${(e as Error).message.split('\n')[0]}`,
        fix: 'npm ci',
      },
    ];
  }
  const cudaLib = join(
    root,
    'node_modules/onnxruntime-node/bin/napi-v6',
    `${process.platform}/${process.arch}`,
    'libonnxruntime_providers_cuda.so',
  );
  let gpu = false;
  try {
    execFileSync('nvidia-smi', ['-L'], { stdio: 'ignore' });
    gpu = true;
  } catch {
    /* no NVIDIA driver */
  }
  out.push(
    existsSync(cudaLib)
      ? { name: 'CUDA provider', status: 'ok', detail: cudaLib }
      : {
          name: 'CUDA provider',
          status: gpu ? 'warn' : 'ok',
          detail: `not installed (package.json allowScripts skips its NuGet download at npm ci)${gpu ? ', but this machine has an NVIDIA GPU' : '; CPU only'}`,
          fix: 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js',
        },
  );
  return out;
}

function pairChecks(root: string): Check[] {
  const corpusRoot = join(root, 'data/corpus');
  if (!existsSync(corpusRoot))
    return [
      {
        name: 'corpus',
        status: 'fail',
        detail: `${corpusRoot} is missing`,
        fix: 'git checkout -- data (the corpus is committed)',
      },
    ];
  const pairs = readdirSync(corpusRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return pairs.map((pair): Check => {
    if (!existsSync(join(root, 'data/tokenizer', pair, 'tokenizer.json')))
      return {
        name: `pair ${pair}`,
        status: 'fail',
        detail: 'corpus present, tokenizer missing',
        fix: `npx saetrace tokenizer train --pair ${pair}`,
      };
    const profiles = Object.values(FAMILY_PROFILES).map((profile) => {
      const manifestPath = join(root, '.cache/zoo', pair, profile.name, 'family.json');
      let have: FamilyManifest | null = null;
      try {
        have = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as FamilyManifest) : null;
      } catch {
        have = null;
      }
      let trained = 0;
      for (const m of profile.members) {
        try {
          if (have && checkedMember(have, manifestPath, profile, m.size)) trained++;
        } catch {
          /* another definition: not ready */
        }
      }
      return `${profile.name} ${trained === profile.members.length ? 'ready' : trained === 0 ? 'family not trained' : `${trained}/${profile.members.length} members trained`}`;
    });
    return {
      name: `pair ${pair}`,
      status: 'ok',
      detail: `corpus and tokenizer; ${profiles.join(', ')} (a run trains what is missing)`,
    };
  });
}

/** Every check, in the order printed. */
export function doctorChecks(d: DoctorEnv): Check[] {
  const caches = ['.cache/zoo', '.cache/activations', '.cache/sae', '.nx/cache'].map(
    (c) => `${c} ${formatBytes(dirBytes(join(d.root, c)))}`,
  );
  return [
    nodeCheck(d.nodeVersion),
    ...onnxruntimeChecks(d.root),
    nativeCheck(d.root, d.env),
    { name: 'threads', status: 'ok', detail: `${defaultThreads()} (SAETRACE_THREADS overrides)` },
    { name: 'caches', status: 'ok', detail: caches.join(', ') },
    ...pairChecks(d.root),
  ];
}

export function formatChecks(checks: readonly Check[]): string {
  const w = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map(
      (c) =>
        `${c.status === 'ok' ? 'ok  ' : c.status === 'warn' ? 'warn' : 'FAIL'}  ${c.name.padEnd(w)}  ${c.detail}${c.status !== 'ok' && c.fix ? `\n      ${''.padEnd(w)}  fix: ${c.fix}` : ''}`,
    )
    .join('\n');
}

export const doctorCommand = defineCommand({
  name: 'doctor',
  summary:
    'check the install: node, onnxruntime and CUDA, native kernel, threads, caches, which pairs and profiles are ready',
  usage:
    'Usage: saetrace doctor [--json]\n\nExits 1 when the install is broken (a FAIL line), printing the command that fixes it.',
  options: { json: { type: 'boolean', default: false } },
  async run({ values }) {
    const checks = doctorChecks({ root: process.cwd(), nodeVersion: process.version, env: process.env });
    if (values.json) console.log(JSON.stringify(checks));
    else console.log(formatChecks(checks));
    return checks.some((c) => c.status === 'fail') ? 1 : 0;
  },
});
