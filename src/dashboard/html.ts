/**
 * Safe HTML for the dashboard: every value interpolated into `html\`…\`` is escaped unless it is
 * already SafeHtml (built by `html` itself). The one escaping helper all pages use, so a label,
 * param or output line such as `<script>` always shows as text.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlPart = SafeHtml | string | number | boolean | null | undefined | readonly HtmlPart[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text → HTML text or attribute value (attributes are always double-quoted in our templates). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

function render(part: HtmlPart): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** Tagged template: the literal parts are trusted markup, every `${value}` is escaped. */
export function html(strings: TemplateStringsArray, ...values: HtmlPart[]): SafeHtml {
  let out = strings[0] as string;
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] as string);
  });
  return new SafeHtml(out);
}

/** A link target from outside data (an incident URL): only http(s), else null (never `javascript:`). */
export function safeHref(url: string | undefined | null): string | null {
  return typeof url === 'string' && /^https?:\/\/[^\s]+$/i.test(url) ? url : null;
}
