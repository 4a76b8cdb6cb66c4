// Nx plugin: project dependencies from `@saetrace/<lib>` imports in each project's TypeScript sources,
// so `nx graph` shows the graph the code really has (and a wrong-way import shows up there).
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const IMPORT = /(?:from|import)\s*\(?\s*['"]@saetrace\/([a-z-]+)['"]/g;

/** @type {import('nx/src/project-graph/plugins/public-api').CreateDependencies} */
const createDependencies = (_options, context) => {
  const deps = [];
  for (const [project, files] of Object.entries(context.fileMap.projectFileMap)) {
    for (const f of files) {
      if (!f.file.endsWith('.ts')) continue;
      let text;
      try {
        text = readFileSync(join(context.workspaceRoot, f.file), 'utf8');
      } catch {
        continue;
      }
      const seen = new Set();
      for (const m of text.matchAll(IMPORT)) {
        const target = m[1] === 'tools' ? 'tools' : m[1];
        if (target === project || seen.has(target) || !context.projects[target]) continue;
        seen.add(target);
        deps.push({ source: project, target, sourceFile: f.file, type: 'static' });
      }
    }
  }
  return deps;
};

module.exports = { name: 'saetrace-import-deps', createDependencies };
