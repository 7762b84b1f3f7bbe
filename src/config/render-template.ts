import type { Alert } from '../core/types';
import type { Filter, Template, TemplateExpr } from './parse-template';
import { stripPort } from './strip-port';

/** The parts of an alert a template can read. */
export type TemplateAlert = Pick<Alert, 'status' | 'labels' | 'annotations' | 'fingerprint' | 'startsAt'>;

/**
 * Renders a parsed template. Pure. Values are inserted as text and never parsed again, so a label
 * holding `{{ … }}` or shell syntax comes out exactly as it went in.
 */
export function renderTemplate(template: Template, alert: TemplateAlert): string {
  let out = '';
  for (const part of template.parts)
    out += part.kind === 'text' ? part.text : applyFilters(lookup(part.expr, alert), part.expr.filters);
  return out;
}

function lookup(expr: TemplateExpr, alert: TemplateAlert): string {
  if (expr.root === 'alert') return alert[expr.key];
  const map = alert[expr.root];
  // Own properties of the plain label map only: the parser already refused `__proto__` and friends.
  const value = Object.prototype.hasOwnProperty.call(map, expr.key) ? map[expr.key] : undefined;
  return typeof value === 'string' ? value : '';
}

function applyFilters(value: string, filters: readonly Filter[]): string {
  return filters.reduce((v, f) => {
    switch (f.name) {
      case 'hostname':
        return stripPort(v);
      case 'lower':
        return v.toLowerCase();
      case 'upper':
        return v.toUpperCase();
      case 'trim':
        return v.trim();
      case 'default':
        // As sprig's default (used in Alertmanager templates): an empty value counts as unset.
        return v === '' ? f.arg : v;
    }
  }, value);
}
