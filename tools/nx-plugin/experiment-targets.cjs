// Nx plugin: every experiments/<pair>/<id>.yaml becomes a target of the `experiments` project:
// `nx run experiments:figure3` (en-ja) or `nx run experiments:en-ko-figure3`, with --profile forwarded.
'use strict';
const { basename, dirname } = require('node:path');

const DEFAULT_PAIR = 'en-ja';

// `all` runs a pair's specs in this order: the all-layer figures first, so the one-layer specs after
// them (Figure 3, Tables 1-4, Figure 11) find their activations cached instead of running the model again
// at the same checkpoints. Results do not depend on the order, only the time does.
const BUILD_ORDER = ['figure5', 'figure8', 'figure12', 'figure13', 'figure14', 'figure3', 'figure4', 'figure6', 'figure7', 'figure9', 'table2', 'table3', 'figure11', 'table1', 'table4'];

function buildRank(id) {
  const i = BUILD_ORDER.indexOf(id);
  return i < 0 ? BUILD_ORDER.length : i;
}

function targetName(pair, id) {
  return pair === DEFAULT_PAIR ? id : `${pair}-${id}`;
}

/** @type {import('nx/src/project-graph/plugins/public-api').CreateNodes} */
const createNodesV2 = [
  'experiments/*/*.yaml',
  (files) => {
    const targets = {};
    const names = [];
    const ordered = [...files].sort((a, b) => {
      const pa = basename(dirname(a)); const pb = basename(dirname(b));
      if (pa !== pb) return pa === DEFAULT_PAIR ? -1 : pb === DEFAULT_PAIR ? 1 : pa < pb ? -1 : 1;
      const ia = basename(a, '.yaml'); const ib = basename(b, '.yaml');
      return buildRank(ia) - buildRank(ib) || (ia < ib ? -1 : ia > ib ? 1 : 0);
    });
    for (const file of ordered) {
      const pair = basename(dirname(file));
      const id = basename(file, '.yaml');
      const name = targetName(pair, id);
      names.push(name);
      targets[name] = {
        executor: 'nx:run-commands',
        options: { command: `npx saetrace run ${pair}/${id}`, forwardAllArgs: true },
        cache: true,
        inputs: [`{workspaceRoot}/${file}`, `{workspaceRoot}/libs/**/*.ts`, `{workspaceRoot}/libs/**/native/*.c`, `{workspaceRoot}/tools/harness/**/*.ts`, `{workspaceRoot}/data/corpus/${pair}/manifest.json`, `{workspaceRoot}/data/tokenizer/${pair}/tokenizer.json`, { env: 'CI' }],
        outputs: [`{workspaceRoot}/reports/${pair}/${id}.md`, `{workspaceRoot}/reports/${pair}/${id}.*`],
      };
    }
    targets.all = { executor: 'nx:run-commands', options: { commands: names.map((n) => `npx nx run experiments:${n}`), parallel: false, forwardAllArgs: true } };
    return files.length === 0 ? [] : [[files[0], { projects: { experiments: { name: 'experiments', targets } } }]];
  },
];

module.exports = { name: 'saetrace-experiment-targets', createNodesV2, targetName, BUILD_ORDER };
