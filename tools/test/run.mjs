#!/usr/bin/env node
// Runs the uvu suites (tests sit beside the code as *.test.ts) through tsx, under c8 unless
// --no-coverage, and prints the closing `N passed, N failed` line that CI logs are read for.
// Usage: node tools/test/run.mjs [dir ...] [--no-coverage] [--pattern REGEX]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const coverage = !args.includes('--no-coverage');
const pi = args.indexOf('--pattern');
const pattern = pi >= 0 ? args[pi + 1] : '\\.test\\.ts$';
const dirs = args.filter((a, i) => !a.startsWith('--') && !(pi >= 0 && i === pi + 1));
const roots = (dirs.length > 0 ? dirs : ['libs', 'tools', 'experiments']).filter((d) => existsSync(d));
// One uvu process over every root: uvu walks '.' and keeps paths matching the roots and the pattern.
const escaped = roots.map((r) => r.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const fullPattern = `^(${escaped.join('|')})/.*${pattern}`;

let passed = 0;
let failed = 0;
let skipped = 0;
let exitCode = 0;

function runAll() {
  return new Promise((resolveRun) => {
    const uvu = ['--import', 'tsx', 'node_modules/uvu/bin.js', '.', fullPattern, '-i', 'node_modules', '-i', '\\.nx'];
    const cmd = coverage ? 'node_modules/.bin/c8' : process.execPath;
    const cargs = coverage ? ['--clean=false', '--reporter=none', process.execPath, ...uvu] : uvu;
    const child = spawn(cmd, cargs, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SAETRACE_TEST: '1' },
    });
    let out = '';
    child.stdout.on('data', (b) => {
      const s = b.toString();
      out += s;
      process.stdout.write(s);
    });
    child.on('close', (code) => {
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const pass = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      passed += pass;
      skipped += skip;
      failed += Math.max(0, total - pass - skip);
      // A crash before uvu's summary counts as one failure so it can never read as green.
      if (code !== 0 && total - pass - skip <= 0) failed += 1;
      if (code !== 0) exitCode = 1;
      resolveRun();
    });
  });
}

if (coverage) {
  const { rmSync } = await import('node:fs');
  rmSync('coverage/tmp', { recursive: true, force: true });
}
await runAll();

if (coverage) {
  const check = spawn(
    'node_modules/.bin/c8',
    [
      'report',
      '--check-coverage',
      '--lines',
      '85',
      '--branches',
      '75',
      '--reporter=text-summary',
      '--exclude',
      '**/*.test.ts',
      '--exclude',
      'node_modules/**',
      '--exclude',
      'tools/test/**',
    ],
    { stdio: 'inherit' },
  );
  const code = await new Promise((r) => check.on('close', r));
  if (code !== 0) {
    console.log('coverage below thresholds (lines 85, branches 75)');
    failed += 1;
    exitCode = 1;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(exitCode || (failed > 0 ? 1 : 0));
