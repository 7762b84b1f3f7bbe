import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';
import { MAX_CONCURRENCY_PATTERN, MAX_ERRORS_PATTERN } from './rate-control-problem';

/**
 * Value schemas that several parts of rules.yaml share. They are TypeBox schemas: plain JSON Schema
 * objects at run time (ajv checks them, rules.schema.json is written from them) that also carry
 * their TypeScript type, so config-types.ts derives every type from the schema (Static<>).
 */

/** What every key of rules.yaml carries for editors: config-schema.test.ts checks both are there. */
export interface Documented {
  description: string;
  examples: unknown[];
}

/**
 * `{enum: [...]}`, typed as the union of its values. TypeBox's own Union of Literals would write
 * `anyOf` of `const`s, which gives editors and ajv's messages three errors where `enum` gives one.
 */
export function stringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, enum: values });
}

/** JSON Schema's type names and the TypeScript type each stands for. */
interface JsonTypes {
  integer: number;
  number: number;
  string: string;
  boolean: boolean;
}

/**
 * `{type: ['integer', 'string']}`: one value that may be written either way (YAML `10` or `"25%"`),
 * typed as the union. Kept as a type list rather than TypeBox's `anyOf` for the same reason as enums.
 */
export function typeList<const K extends readonly (keyof JsonTypes)[]>(
  types: K,
  options: SchemaOptions,
): TUnsafe<JsonTypes[K[number]]> {
  return Type.Unsafe<JsonTypes[K[number]]>({ ...options, type: types });
}

/** A duration such as 30s, 5m, 1h30m (src/util/duration.ts reads it). */
export const duration = (doc: Documented) => Type.String({ pattern: '^(\\d+(ms|s|m|h|d))+$', ...doc });

export const transport = (doc: Documented) => stringEnum(['ssh', 'ssm', 'local'], doc);

/** OpenSSH's ProxyJump form, one hop: [user@]host[:port], IPv6 in brackets; `none` turns a default off. */
export const JUMP_SCHEMA = Type.String({
  pattern:
    '^(none|([A-Za-z0-9_][A-Za-z0-9_.-]{0,63}@)?' +
    '([A-Za-z0-9][A-Za-z0-9_.-]{0,252}|\\[[0-9A-Fa-f:.]{2,45}\\])(:[0-9]{1,5})?)$',
  description: 'Jump host (bastion) to reach the node through, as [user@]host[:port]; none for a direct connection',
  examples: ['ops@bastion-1', 'bastion.example.com:2222', 'none'],
});

/** SendCommand's MaxConcurrency / MaxErrors (docs/protocols.md §4.1): a YAML integer or a string such as "25%". */
export const SSM_SCHEMA = Type.Object(
  {
    max_concurrency: Type.Optional(
      typeList(['integer', 'string'], {
        minimum: 1,
        maximum: 9999999,
        maxLength: 7,
        pattern: MAX_CONCURRENCY_PATTERN.source,
        description: 'Instances running at once, a count or a percentage such as "25%" (SSM default 50)',
        examples: [10, '25%'],
      }),
    ),
    max_errors: Type.Optional(
      typeList(['integer', 'string'], {
        minimum: 0,
        maximum: 9999999,
        maxLength: 7,
        pattern: MAX_ERRORS_PATTERN.source,
        description:
          'Failed instances after which SSM sends the command to no more, a count or a percentage (SSM default 0)',
        examples: [0, 1, '10%'],
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'AWS SSM rate controls for the SendCommand of each batch of up to 50 nodes (transport: ssm)',
  },
);
