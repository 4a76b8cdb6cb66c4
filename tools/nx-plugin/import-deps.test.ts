import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const plugin = require('./import-deps.cjs') as {
  createDependencies: (o: unknown, ctx: unknown) => { source: string; target: string; type: string }[];
};

/** The layering DESIGN.md sets: a lib may import only libs earlier in this list. */
const ORDER = ['engine', 'lm', 'activations', 'sae', 'metrics', 'intervention'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('the plugin turns @saetrace imports into static dependencies and ignores self and unknown names', () => {
  const deps = plugin.createDependencies(undefined, {
    workspaceRoot: process.cwd(),
    projects: { engine: {}, lm: {}, activations: {} },
    fileMap: {
      projectFileMap: {
        activations: [{ file: 'libs/activations/src/extract.ts' }],
        engine: [{ file: 'libs/engine/src/index.ts' }],
        lm: [{ file: 'missing.ts' }, { file: 'README.md' }],
      },
    },
  });
  assert.ok(deps.some((d) => d.source === 'activations' && d.target === 'engine' && d.type === 'static'));
  assert.not.ok(deps.some((d) => d.source === d.target));
});

test('every lib imports only libs below it (engine <- lm <- activations <- sae <- metrics <- intervention)', () => {
  const violations: string[] = [];
  for (const [i, lib] of ORDER.entries()) {
    for (const f of tsFiles(join('libs', lib, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/from\s+['"]@saetrace\/([a-z-]+)['"]/g)) {
        const j = ORDER.indexOf(m[1] as string);
        if (j < 0 || j >= i) violations.push(`${f} imports @saetrace/${m[1]}`);
      }
    }
  }
  assert.equal(violations, []);
});

test.run();
