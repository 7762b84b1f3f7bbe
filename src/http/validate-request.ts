import Ajv, { type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import type { Request } from 'express';
import { RuneError } from '../core/errors';
import { parseJsonBody } from './parse-json-body';

/**
 * API bodies and query strings are checked by JSON Schemas (request-schemas.ts), one ajv instance
 * for all. What a schema documents is what is enforced: a value out of range is refused, not
 * clamped; an unknown field or query parameter is refused, not ignored.
 */
const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });

/** A compiled check: the value typed as T, or BAD_REQUEST listing every problem. */
export type Check<T> = (value: unknown, where: 'body' | 'query') => T;

export function compileCheck<T>(schema: JSONSchemaType<T>): Check<T> {
  const validate: ValidateFunction<T> = ajv.compile(schema);
  return (value, where) => {
    if (validate(value)) return value;
    const problems = (validate.errors ?? []).map((e) => describe(e, where));
    throw new RuneError('BAD_REQUEST', `invalid ${where}: ${problems.join('; ')}`, { problems });
  };
}

function describe(e: ErrorObject, where: 'body' | 'query'): string {
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const name = where === 'query' ? `query parameter ${field}` : field || 'the body';
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).join(', ');
    return `${where === 'query' ? 'unknown query parameter' : 'unknown field'} ${extra} (known: ${known || 'none'})`;
  }
  if (e.keyword === 'required') return `${(e.params as { missingProperty: string }).missingProperty} is required`;
  if (e.keyword === 'enum') {
    return `${name} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  }
  return `${name} ${e.message ?? 'is invalid'}`;
}

/**
 * The query string as one value per parameter: a parameter given twice (`?limit=1&limit=2`) or in
 * bracket form (`?a[b]=1`) is refused, never silently reduced to one of its values. Parameters
 * the schema types as integers are read as such when they are whole numbers (else the schema's
 * own message says what is wrong).
 */
export function readQuery<T>(req: Request, check: Check<T>, integers: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req.query)) {
    if (Array.isArray(v))
      throw new RuneError('BAD_REQUEST', `query parameter ${k} is given ${v.length} times; give it once`);
    if (typeof v !== 'string') throw new RuneError('BAD_REQUEST', `query parameter ${k} must be a plain value`);
    out[k] = integers.includes(k) && /^-?\d{1,15}$/.test(v) ? Number(v) : v;
  }
  return check(out, 'query');
}

/** A JSON body checked by `check`; with `optional`, an empty body reads as `{}`. */
export function readBody<T>(req: Request, check: Check<T>, o: { optional?: boolean } = {}): T {
  const raw: unknown = req.body;
  if (o.optional && (!Buffer.isBuffer(raw) || raw.length === 0)) return check({}, 'body');
  return check(parseJsonBody(raw, req.get('content-type')), 'body');
}
