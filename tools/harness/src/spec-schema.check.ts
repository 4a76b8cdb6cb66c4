// Compile-time check that the spec types in spec.ts and the JSON schemas in schema.ts say the same thing:
// json-schema-to-ts derives each schema's type, and `npm run typecheck` fails here when either side drifts
// (a key added, removed, renamed or retyped in one place only). Nothing in this file runs.
import type { FromSchema } from 'json-schema-to-ts';
import type { EXPERIMENT_SCHEMA, PAIR_SCHEMA, PROFILE_SCHEMA, TOLERANCE_SCHEMA } from './schema.ts';
import type { ExperimentFile, PairSpec, ProfileSpec, Tolerance } from './spec.ts';

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
/** The same keys at every depth (assignability alone lets one side have an optional key the other lacks).
 * Unions are compared member-blind (their common keys), records by their value type. */
type KeysAgree<A, B> = [NonNullable<A>, NonNullable<B>] extends [infer X, infer Y]
  ? [X] extends [readonly (infer U)[]]
    ? [Y] extends [readonly (infer V)[]]
      ? KeysAgree<U, V>
      : false
    : [X] extends [object]
      ? [Y] extends [object]
        ? [string] extends [keyof X]
          ? [string] extends [keyof Y]
            ? KeysAgree<X[keyof X], Y[keyof Y]>
            : false
          : [keyof X] extends [keyof Y]
            ? [keyof Y] extends [keyof X]
              ? [false] extends [{ [K in keyof X & keyof Y]: KeysAgree<X[K], Y[K]> }[keyof X & keyof Y]]
                ? false
                : true
              : false
            : false
        : false
      : true
  : false;
/** true when every value of A is a B, every B is an A, and both name the same keys. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? KeysAgree<A, B> : false) : false;

type SchemaProfile = DeepReadonly<FromSchema<typeof PROFILE_SCHEMA>>;
type SchemaTolerance = DeepReadonly<FromSchema<typeof TOLERANCE_SCHEMA>>;

export const profileTypesAgree: Same<SchemaProfile, ProfileSpec> = true;
export const toleranceTypesAgree: Same<SchemaTolerance, Tolerance> = true;
// One way only for the pair: the schema's languages is an array of exactly two (minItems = maxItems = 2), which
// json-schema-to-ts types as string[]; the spec type's tuple [string, string] is narrower. Every PairSpec is
// schema-shaped, and a key added or retyped on either side still fails here.
type SchemaPair = DeepReadonly<FromSchema<typeof PAIR_SCHEMA>>;
type Fits<A, B> = [A] extends [B] ? true : false;
export const pairTypeFitsSchema: Fits<PairSpec, SchemaPair> = true;
export const pairKeysAgree: KeysAgree<SchemaPair, PairSpec> = true;
export const pairSchemaFitsTypeButLanguages: Fits<Omit<SchemaPair, 'languages'>, Omit<PairSpec, 'languages'>> = true;
// The experiment file: every key but `findings`, whose item schema is built at run time from the rule registry
// (tools/harness/src/findings.ts findingItemSchema) and so has no static type; FindingDecl is checked there.
type SchemaExperiment = DeepReadonly<FromSchema<typeof EXPERIMENT_SCHEMA>>;
export const experimentTypesAgree: Same<Omit<SchemaExperiment, 'findings'>, Omit<ExperimentFile, 'findings'>> = true;
