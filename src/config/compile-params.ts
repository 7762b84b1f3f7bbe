import { isTemplate, parseTemplate, type Template } from './parse-template';
import { renderTemplate, type TemplateAlert } from './render-template';

/** A step's params with every string that holds `{{` parsed once into a template. */
export type CompiledValue =
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'template'; template: Template }
  | { kind: 'array'; items: CompiledValue[] }
  | { kind: 'object'; entries: [string, CompiledValue][] };

export interface ParamsTemplateError {
  /** Where the string is inside params, e.g. ['units', 0]. */
  path: (string | number)[];
  column: number;
  reason: string;
}

/** Parses every string in `value` (nested objects and arrays included). Pure. */
export function compileParams(
  value: unknown,
  path: (string | number)[] = [],
): { compiled: CompiledValue; errors: ParamsTemplateError[] } {
  if (typeof value === 'string') {
    if (!isTemplate(value)) return { compiled: { kind: 'literal', value }, errors: [] };
    const parsed = parseTemplate(value);
    if (!parsed.ok)
      return { compiled: { kind: 'literal', value }, errors: [{ path, column: parsed.column, reason: parsed.reason }] };
    return { compiled: { kind: 'template', template: parsed.template }, errors: [] };
  }
  const errors: ParamsTemplateError[] = [];
  if (Array.isArray(value)) {
    const items = value.map((v: unknown, i) => {
      const c = compileParams(v, [...path, i]);
      errors.push(...c.errors);
      return c.compiled;
    });
    return { compiled: { kind: 'array', items }, errors };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]): [string, CompiledValue] => {
      const c = compileParams(v, [...path, k]);
      errors.push(...c.errors);
      return [k, c.compiled];
    });
    return { compiled: { kind: 'object', entries }, errors };
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return { compiled: { kind: 'literal', value }, errors };
  return { compiled: { kind: 'literal', value: String(value) }, errors };
}

/**
 * Renders compiled params for one alert. A string that is exactly one `{{ … }}` stays a string:
 * nothing is coerced, so the plugin's schema decides. Containers are rebuilt on every call because
 * params validation fills in defaults in place, and the compiled rule must not change.
 */
export function renderParams(value: CompiledValue, alert: TemplateAlert): unknown {
  switch (value.kind) {
    case 'literal':
      return value.value;
    case 'template':
      return renderTemplate(value.template, alert);
    case 'array':
      return value.items.map((v) => renderParams(v, alert));
    case 'object':
      // fromEntries defines own properties, so a `__proto__` key stays data, never a prototype.
      return Object.fromEntries(value.entries.map(([k, v]) => [k, renderParams(v, alert)]));
  }
}
