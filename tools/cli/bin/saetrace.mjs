#!/usr/bin/env node
// Entry point for `npx saetrace`: registers tsx so the TypeScript sources run as they are. The checkout's own
// tsconfig (its @saetrace/* paths) is named, so the CLI also runs from another working directory (a Slurm sweep's
// or a spread variant's scratch folder, whose .cache and reports are its own).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
