// Nx plugin: every experiments/<pair>/<id>.yaml becomes a target of the `experiments` project:
// `nx run experiments:figure3` (en-ja) or `nx run experiments:en-ko-figure3`, with --profile forwarded.
'use strict';
const { basename, dirname } = require('node:path');

const DEFAULT_PAIR = 'en-ja';

function targetName(pair, id) {
  return pair === DEFAULT_PAIR ? id : `${pair}-${id}`;
}

/** @type {import('nx/src/project-graph/plugins/public-api').CreateNodes} */
const createNodesV2 = [
  'experiments/*/*.yaml',
  (files) => {
    const targets = {};
    const names = [];
    for (const file of [...files].sort()) {
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

module.exports = { name: 'saetrace-experiment-targets', createNodesV2, targetName };
