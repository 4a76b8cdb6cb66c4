// JSON Schema (draft 2020-12) of an experiment spec: one YAML file per paper table or figure.
import { findingItemSchema } from './findings.ts';

/**
 * Upper bounds of the size-like fields: past them a value would reach the runtime as a typed-array or
 * allocation error (a Float32Array holds at most 2^32 elements here) instead of a message naming the key.
 * Generous: the paper profile (n 32768, batch 32768, 5e7 tokens per language) is well inside.
 */
export const SPEC_LIMITS = {
  n: 2 ** 20, k: 4096, batchSize: 2 ** 20, warmupSteps: 10 ** 8, epochs: 1000, tokensPerLang: 2 ** 33, threads: 1024,
  draws: 1000, evalDocsPerLang: 10 ** 6, translationPairs: 10 ** 5, shots: 32, maxNewTokens: 4096, features: 2 ** 20,
} as const;
const L = SPEC_LIMITS;
const profile = {
  type: 'object', additionalProperties: false,
  required: ['family', 'size', 'layers', 'checkpoints', 'activations', 'sae', 'metrics', 'seed'],
  properties: {
    family: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['zoo'], properties: { zoo: { enum: ['smoke', 'default'] } } },
        { type: 'object', additionalProperties: false, required: ['paths'], properties: { paths: { type: 'object', minProperties: 1, additionalProperties: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: false, required: ['dir', 'tokens'], properties: { dir: { type: 'string' }, tokens: { type: 'number', minimum: 0 } } } } } } },
      ],
    },
    size: { type: 'string', minLength: 1, description: "a size of the family, or 'largest' / 'smallest'" },
    layers: { type: 'array', minItems: 1, items: { oneOf: [{ type: 'integer', minimum: 0 }, { enum: ['mid', 'all'] }] } },
    checkpoints: { oneOf: [{ const: 'all' }, { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1 } }] },
    activations: { type: 'object', additionalProperties: false, required: ['trainTokensPerLang', 'evalTokensPerLang'], properties: { trainTokensPerLang: { type: 'integer', minimum: 64, maximum: L.tokensPerLang }, evalTokensPerLang: { type: 'integer', minimum: 64, maximum: L.tokensPerLang } } },
    sae: {
      type: 'object', additionalProperties: false, required: ['n', 'k', 'lr', 'warmupSteps', 'batchSize', 'epochs'],
      properties: { n: { type: 'integer', minimum: 1, maximum: L.n }, k: { type: 'integer', minimum: 1, maximum: L.k }, lr: { type: 'number', exclusiveMinimum: 0 }, warmupSteps: { type: 'integer', minimum: 0, maximum: L.warmupSteps }, batchSize: { type: 'integer', minimum: 1, maximum: L.batchSize }, epochs: { type: 'integer', minimum: 1, maximum: L.epochs }, precision: { enum: ['fp32', 'bf16'] } },
    },
    metrics: { type: 'object', additionalProperties: false, required: ['languageCut', 'cosineCut', 'clusterRule'], properties: { languageCut: { type: 'number', exclusiveMinimum: 0.5, maximum: 1 }, cosineCut: { type: 'number', minimum: -1, maximum: 1 }, clusterRule: { enum: ['greedy', 'components'] } } },
    seed: { type: 'integer', minimum: 0 },
    threads: { type: 'integer', minimum: 1, maximum: L.threads },
    intervention: {
      type: 'object', additionalProperties: false,
      required: ['midCheckpoint', 'layer', 'alphas', 'features', 'draws', 'evalDocsPerLang', 'translationPairs', 'shots', 'maxNewTokens'],
      properties: {
        midCheckpoint: { type: 'integer', minimum: 1, description: '1-based index into the saved checkpoints of the model' },
        layer: { oneOf: [{ type: 'integer', minimum: 0 }, { const: 'mid' }] },
        alphas: { type: 'array', minItems: 1, items: { type: 'number', minimum: 0 } },
        features: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0, maximum: L.features } },
        draws: { type: 'integer', minimum: 1, maximum: L.draws },
        evalDocsPerLang: { type: 'integer', minimum: 1, maximum: L.evalDocsPerLang },
        translationPairs: { type: 'integer', minimum: 0, maximum: L.translationPairs },
        shots: { type: 'integer', minimum: 0, maximum: L.shots },
        maxNewTokens: { type: 'integer', minimum: 1, maximum: L.maxNewTokens },
        includeBias: { type: 'boolean' },
        rescale: { type: 'boolean' },
      },
    },
  },
} as const;

const tolerance = {
  type: 'object', additionalProperties: false,
  properties: {
    atol: { type: 'number', minimum: 0 }, rtol: { type: 'number', minimum: 0 }, side: { enum: ['both', 'higher-is-better', 'lower-is-better'] },
    proportionOf: {
      type: 'object', additionalProperties: false, required: ['count', 'z'],
      properties: { count: { type: 'string', pattern: '^[^/*]+$' }, z: { type: 'number', exclusiveMinimum: 0, maximum: 6 } },
    },
  },
  anyOf: [{ required: ['atol'] }, { required: ['rtol'] }],
} as const;

export const SPEC_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object', additionalProperties: false,
  required: ['id', 'version', 'title', 'kind', 'pair', 'languages', 'profiles', 'golden'],
  properties: {
    id: { type: 'string', pattern: '^(table[1-4]|figure([3-9]|1[1-4]))$' },
    version: { type: 'integer', minimum: 1 },
    title: { type: 'string', minLength: 1 },
    kind: { enum: ['feature-dynamics', 'intervention', 'sae-sizes'] },
    pair: { type: 'string', pattern: '^[a-z]{2}(_[A-Z]{2})?-[a-z]{2}(_[A-Z]{2})?$' },
    languages: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string', minLength: 2 } },
    profiles: { type: 'object', additionalProperties: false, required: ['smoke', 'default', 'paper'], properties: { smoke: profile, default: profile, paper: profile } },
    golden: { type: 'object', description: 'tolerance per metric name pattern (* matches one path segment)', additionalProperties: tolerance },
    findings: { type: 'array', description: "the paper's claims, checked on every run (tools/harness/src/findings.ts)", items: findingItemSchema() },
  },
} as const;
