import type { ValidateFunction } from 'ajv';

/** How a param is edited in a form: text, a number, true/false, or JSON (arrays, objects, anything else). */
export type FieldKind = 'string' | 'number' | 'boolean' | 'json';

/** One param of a plugin's schema, as the Re-run form and the actions page show it. */
export interface ParamField {
  name: string;
  /** The schema's `type`, as written (`string`, `integer`, `array`, `string|null`…); `any` when none. */
  type: string;
  kind: FieldKind;
  required: boolean;
  default: unknown;
  description: string;
  enum: unknown[] | null;
}

/** A submitted form: the params it makes, each field's text as typed, and errors by field ('' = the whole). */
export interface ParamFormOutcome {
  params: Record<string, unknown>;
  values: Record<string, string>;
  errors: Record<string, string[]>;
}

/** The name of the form field holding params the schema does not declare (a JSON object). */
export const EXTRA_FIELD = 'params_extra';

function kindOf(type: unknown): FieldKind {
  const types = Array.isArray(type) ? type.filter((t) => t !== 'null') : [type];
  if (types.length !== 1) return 'json';
  if (types[0] === 'string') return 'string';
  if (types[0] === 'integer' || types[0] === 'number') return 'number';
  if (types[0] === 'boolean') return 'boolean';
  return 'json';
}

/** The declared params of an object schema (plugin metadata `params:`), in schema order. */
export function paramFields(schema: Record<string, unknown>): ParamField[] {
  const props = schema.properties;
  if (!props || typeof props !== 'object' || Array.isArray(props)) return [];
  const required = Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === 'string')
    : [];
  return Object.entries(props as Record<string, unknown>).map(([name, raw]) => {
    const p = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const type = Array.isArray(p.type) ? p.type.join('|') : typeof p.type === 'string' ? p.type : 'any';
    return {
      name,
      type,
      kind: kindOf(p.type),
      required: required.includes(name),
      default: p.default,
      description: typeof p.description === 'string' ? p.description : '',
      enum: Array.isArray(p.enum) ? p.enum : null,
    };
  });
}

/** A value as its field shows it (the Re-run form starts from the old job's params). */
export function fieldText(kind: FieldKind, value: unknown): string {
  if (value === undefined) return '';
  if (kind === 'string' && typeof value === 'string') return value;
  if ((kind === 'number' && typeof value === 'number') || (kind === 'boolean' && typeof value === 'boolean'))
    return String(value);
  return JSON.stringify(value, null, 2);
}

/** The form's text for every field of these params; undeclared ones go to EXTRA_FIELD as one JSON object. */
export function formValues(fields: ParamField[], params: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const f of fields) values[f.name] = fieldText(f.kind, params[f.name]);
  const extra = Object.fromEntries(Object.entries(params).filter(([k]) => !fields.some((f) => f.name === k)));
  values[EXTRA_FIELD] = Object.keys(extra).length ? JSON.stringify(extra, null, 2) : '';
  return values;
}

function parseField(kind: FieldKind, text: string): { value: unknown } | { error: string } {
  if (kind === 'string') return { value: text };
  if (kind === 'boolean')
    return text === 'true' || text === 'false' ? { value: text === 'true' } : { error: 'must be true or false' };
  // A number that does not parse stays text, so the schema check names the problem ("must be integer").
  if (kind === 'number') return { value: /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(text) ? Number(text) : text };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `is not valid JSON: ${(err as Error).message}` };
  }
}

/**
 * Submitted fields (`name` → text; empty = not set, the plugin's default applies) → params,
 * checked with the plugin's own ajv validator. Errors are keyed by the param they concern.
 */
export function readParamForm(
  fields: ParamField[],
  submitted: Record<string, string>,
  validate: ValidateFunction,
): ParamFormOutcome {
  const params: Record<string, unknown> = {};
  const values: Record<string, string> = {};
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string) => (errors[field] ??= []).push(message);
  const extraText = submitted[EXTRA_FIELD] ?? '';
  values[EXTRA_FIELD] = extraText;
  if (extraText.trim() !== '') {
    const parsed = parseField('json', extraText);
    if ('error' in parsed) add(EXTRA_FIELD, parsed.error);
    else if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value))
      add(EXTRA_FIELD, 'must be a JSON object {"name": value}');
    else Object.assign(params, parsed.value);
  }
  for (const f of fields) {
    const text = submitted[f.name] ?? '';
    values[f.name] = text;
    if (text === '') continue;
    const parsed = parseField(f.kind, text);
    if ('error' in parsed) add(f.name, parsed.error);
    else params[f.name] = parsed.value;
  }
  if (Object.keys(errors).length) return { params, values, errors };
  // The validator fills defaults in: check a copy, submit what the user gave.
  if (!validate(structuredClone(params))) {
    const declared = (n: string | undefined) => n !== undefined && fields.some((f) => f.name === n);
    for (const e of validate.errors ?? []) {
      const top = e.instancePath.split('/')[1];
      const named =
        e.keyword === 'required'
          ? String(e.params.missingProperty)
          : e.keyword === 'additionalProperties'
            ? String(e.params.additionalProperty)
            : top;
      // Errors about undeclared params belong to the JSON field they were typed in.
      const field = declared(named)
        ? (named as string)
        : e.keyword === 'additionalProperties' || (top !== undefined && !declared(top))
          ? EXTRA_FIELD
          : '';
      const where = e.instancePath ? `params${e.instancePath.replace(/\//g, '.')}` : 'params';
      add(field, `${where} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` "${named}"` : ''}`);
    }
  }
  return { params, values, errors };
}
