// JSON Schemas (draft 2020-12) of the spec files: an experiment (experiments/<id>.yaml, one per paper table or
// figure, no language in it) and a language pair (experiments/pairs/<pair>.yaml); spec.ts merges the two.
import { FAMILY_PROFILES } from '@saetrace/lm';
import { findingItemSchema } from './findings.ts';
import { KIND_NAMES } from './kinds/index.ts';

/**
 * Upper bounds of the size-like fields: past them a value would reach the runtime as a typed-array or
 * allocation error (a Float32Array holds at most 2^32 elements here) instead of a message naming the key.
 * Generous: the paper profile (n 32768, batch 32768, 5e7 tokens per language) is well inside.
 */
export const SPEC_LIMITS = {
  n: 2 ** 20,
  k: 4096,
  batchSize: 2 ** 20,
  warmupSteps: 10 ** 8,
  epochs: 1000,
  tokensPerLang: 2 ** 33,
  threads: 1024,
  draws: 1000,
  evalDocsPerLang: 10 ** 6,
  translationPairs: 10 ** 5,
  shots: 32,
  maxNewTokens: 4096,
  features: 2 ** 20,
} as const;
const L = SPEC_LIMITS;
const pathsFamily = {
  type: 'object',
  additionalProperties: false,
  required: ['paths'],
  properties: {
    paths: {
      type: 'object',
      minProperties: 1,
      description: "checkpoints per model size, smallest size first, each size's checkpoints in training order",
      additionalProperties: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['dir', 'tokens'],
          properties: { dir: { type: 'string' }, tokens: { type: 'number', minimum: 0 } },
        },
      },
    },
  },
} as const;
const PROFILE_KEYS = ['family', 'size', 'layers', 'checkpoints', 'activations', 'sae', 'metrics', 'seed'] as const;
export const PROFILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: PROFILE_KEYS,
  properties: {
    family: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['zoo'],
          properties: {
            zoo: { enum: Object.keys(FAMILY_PROFILES) as (keyof typeof FAMILY_PROFILES)[] },
            seed: {
              type: 'integer',
              minimum: 0,
              description: "the family's training seed (default: the profile's own); another trains its own family",
            },
          },
        },
        pathsFamily,
      ],
    },
    size: { type: 'string', minLength: 1, description: "a size of the family, or 'largest' / 'smallest'" },
    layers: {
      type: 'array',
      minItems: 1,
      items: { oneOf: [{ type: 'integer', minimum: 0 }, { enum: ['mid', 'all'] }] },
    },
    checkpoints: {
      oneOf: [
        { const: 'all' },
        { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1 } },
        {
          type: 'object',
          additionalProperties: false,
          required: ['saved'],
          properties: {
            saved: {
              type: 'array',
              minItems: 1,
              items: { type: 'integer', minimum: 1 },
              description: "1-based positions among the model's saved checkpoints, in training order",
            },
          },
        },
      ],
    },
    randomInit: {
      type: 'boolean',
      description:
        'also measure the member at step 0 (its weights before training), the baseline of what training added (embedded family only)',
    },
    activations: {
      type: 'object',
      additionalProperties: false,
      required: ['trainTokensPerLang', 'evalTokensPerLang'],
      properties: {
        trainTokensPerLang: { type: 'integer', minimum: 64, maximum: L.tokensPerLang },
        evalTokensPerLang: { type: 'integer', minimum: 64, maximum: L.tokensPerLang },
      },
    },
    sae: {
      type: 'object',
      additionalProperties: false,
      required: ['n', 'k', 'lr', 'warmupSteps', 'batchSize', 'epochs'],
      properties: {
        n: { type: 'integer', minimum: 1, maximum: L.n },
        k: { type: 'integer', minimum: 1, maximum: L.k },
        lr: { type: 'number', exclusiveMinimum: 0 },
        warmupSteps: { type: 'integer', minimum: 0, maximum: L.warmupSteps },
        batchSize: { type: 'integer', minimum: 1, maximum: L.batchSize },
        epochs: { type: 'integer', minimum: 1, maximum: L.epochs },
        precision: { enum: ['fp32', 'bf16'] },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      required: ['languageCut', 'cosineCut', 'clusterRule'],
      properties: {
        languageCut: { type: 'number', exclusiveMinimum: 0.5, maximum: 1 },
        cosineCut: {
          description:
            "semantic entropy's cosine cut: a number (the paper's 0.1), or a quantile of random token pairs' cosines on the embeddings used, so that it means the same on any model (libs/metrics/src/cosine-cut.ts)",
          oneOf: [
            { type: 'number', minimum: -1, maximum: 1 },
            {
              type: 'object',
              additionalProperties: false,
              required: ['randomPairQuantile'],
              properties: { randomPairQuantile: { type: 'number', minimum: 0.5, maximum: 1 } },
            },
          ],
        },
        clusterRule: { enum: ['greedy', 'components'] },
        minOccurrences: {
          type: 'integer',
          minimum: 1,
          description: 'alive features with fewer activating occurrences are left out of the shares (default 1: none)',
        },
      },
    },
    seed: { type: 'integer', minimum: 0 },
    threads: { type: 'integer', minimum: 1, maximum: L.threads },
    intervention: {
      type: 'object',
      additionalProperties: false,
      required: [
        'midCheckpoint',
        'layer',
        'alphas',
        'features',
        'draws',
        'evalDocsPerLang',
        'translationPairs',
        'shots',
        'maxNewTokens',
      ],
      properties: {
        midCheckpoint: {
          type: 'integer',
          minimum: 1,
          description: '1-based index into the saved checkpoints of the model',
        },
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
        unitDecode: {
          type: 'boolean',
          description:
            'scale each decoded vector to unit norm before alpha |h| (every class adds the same norm; default false: Eq. 7 as written)',
        },
        maskBeforeTopK: {
          type: 'boolean',
          description:
            "take the SAE's TopK among the drawn class's features only (each token decodes its k strongest of them); default false: TopK over all features, then only the class's kept",
        },
        referencePerplexity: {
          type: 'boolean',
          description:
            "score each reference translation's perplexity given its prompt (beside chrF/BLEU), and the full model's scores as the ceiling",
        },
      },
    },
  },
} as const;

export const TOLERANCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    atol: { type: 'number', minimum: 0 },
    rtol: { type: 'number', minimum: 0 },
    side: { enum: ['both', 'higher-is-better', 'lower-is-better'] },
    proportionOf: {
      type: 'object',
      additionalProperties: false,
      required: ['count', 'z'],
      properties: {
        count: { type: 'string', pattern: '^[^/*]+$' },
        z: { type: 'number', exclusiveMinimum: 0, maximum: 6 },
      },
    },
    spread: {
      type: 'object',
      additionalProperties: false,
      required: ['k', 'floor'],
      properties: {
        k: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
        floor: { type: 'number', minimum: 0 },
      },
    },
  },
  anyOf: [{ required: ['atol'] }, { required: ['rtol'] }],
} as const;

/** The paper profile of an experiment may leave its checkpoints to the pair file (`paper.family`). */
const paperProfile = { ...PROFILE_SCHEMA, required: PROFILE_KEYS.filter((k) => k !== 'family') } as const;
const ID_PATTERN = '^(table[1-4]|figure([3-9]|1[1-4]))$';
export const PAIR_PATTERN = '^[a-z]{2}(_[A-Z]{2})?-[a-z]{2}(_[A-Z]{2})?$';

/** A language pair: the two languages (corpus data/corpus/<pair>, tokenizer data/tokenizer/<pair>), its paper checkpoints, per-experiment overrides. */
export const PAIR_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['pair', 'languages'],
  properties: {
    pair: { type: 'string', pattern: PAIR_PATTERN },
    languages: {
      type: 'array',
      minItems: 2,
      maxItems: 2,
      items: { type: 'string', pattern: '^[a-z]{2}(_[A-Z]{2})?$' },
    },
    paper: { type: 'object', additionalProperties: false, required: ['family'], properties: { family: pathsFamily } },
    families: {
      type: 'object',
      description:
        "the embedded family this pair's runs use in place of a profile's own (libs/lm/src/zoo/family.ts), e.g. default: default-2",
      propertyNames: { enum: Object.keys(FAMILY_PROFILES) as (keyof typeof FAMILY_PROFILES)[] },
      additionalProperties: { enum: Object.keys(FAMILY_PROFILES) as (keyof typeof FAMILY_PROFILES)[] },
    },
    scripts: {
      type: 'object',
      description: 'the Unicode scripts each language is written in (default: tools/harness/src/scripts.ts)',
      additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[A-Z][a-z_]+$' } },
    },
    overrides: {
      type: 'object',
      description: "per experiment id: profile settings merged over the experiment's",
      propertyNames: { pattern: ID_PATTERN },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['profiles'],
        properties: {
          profiles: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: { smoke: { type: 'object' }, default: { type: 'object' }, paper: { type: 'object' } },
          },
        },
      },
    },
  },
} as const;

/** The profiles of an experiment once its pair is merged in: every profile complete; paper absent when neither file names its checkpoints. */
export const MERGED_PROFILES_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['smoke', 'default'],
  properties: { smoke: PROFILE_SCHEMA, default: PROFILE_SCHEMA, paper: PROFILE_SCHEMA },
} as const;

export const EXPERIMENT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'version', 'title', 'kind', 'profiles', 'golden'],
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    version: { type: 'integer', minimum: 1 },
    title: { type: 'string', minLength: 1 },
    kind: { enum: KIND_NAMES },
    profiles: {
      type: 'object',
      additionalProperties: false,
      required: ['smoke', 'default', 'paper'],
      properties: { smoke: PROFILE_SCHEMA, default: PROFILE_SCHEMA, paper: paperProfile },
    },
    golden: {
      type: 'object',
      description: 'tolerance per metric name pattern (* matches one path segment)',
      additionalProperties: TOLERANCE_SCHEMA,
    },
    lineage: {
      type: 'object',
      additionalProperties: false,
      required: ['threshold'],
      description:
        'the report shows feature lineage between consecutive checkpoints (tools/browse/src/lineage-chains.ts)',
      properties: {
        threshold: {
          type: 'number',
          exclusiveMinimum: 0,
          maximum: 1,
          description: 'decoder cosine at or above which matched features persist',
        },
      },
    },
    findings: {
      type: 'array',
      description: "the paper's claims, checked on every run (tools/harness/src/findings.ts)",
      items: findingItemSchema(),
    },
  },
} as const;
