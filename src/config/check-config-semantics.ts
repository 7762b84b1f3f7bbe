import { compileParams } from './compile-params';
import type { ConfigProblem, GuardsSpec, Parsed, ParsedConfig } from './config-types';
import { parseMatcher } from './parse-matcher';
import { parseTemplate } from './parse-template';
import { toDotted } from './yaml-positions';

/** A problem before file and line are added. */
type Finding = { path: string; message: string };

/**
 * What the schema cannot say about rules.yaml: unique names, matchers and templates that parse,
 * notifiers that are configured, one blast-radius limit. Pure; runs on the parts that parsed, so a
 * schema error elsewhere hides nothing. `damaged` holds the objects that lost a part to the schema
 * (src/config/prune-invalid.ts): checks of a whole object skip them, their problem is already said.
 */
export function checkConfigSemantics(parsed: ParsedConfig, damaged: ReadonlySet<object>): ConfigProblem[] {
  const findings = [
    ...checkNodes(parsed.nodes),
    ...checkDuplicateRules(parsed.rules),
    ...checkMatchers(parsed.rules),
    ...checkTemplates(parsed.rules),
    ...checkNotifiers(parsed.rules, parsed.notify),
    ...checkBlastRadius(parsed.rules, parsed.defaults?.guards, damaged),
    ...checkVerify(parsed.rules),
  ];
  return findings.map((f) => ({ file: parsed.source, line: parsed.lines.get(f.path) ?? null, ...f }));
}

/** Node names are unique; a glob has no fixed address; a templated `instance_id` parses now, not at 3 a.m. */
function checkNodes(nodes: ParsedConfig['nodes']): Finding[] {
  const found: Finding[] = [];
  const seen = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (n?.name === undefined) return;
    const first = seen.get(n.name);
    if (first !== undefined)
      found.push({ path: `nodes[${i}].name`, message: `duplicate node "${n.name}" (first at nodes[${first}])` });
    else seen.set(n.name, i);
    if (/[*?]/.test(n.name) && n.address !== undefined) {
      found.push({
        path: `nodes[${i}].address`,
        message: 'a glob node cannot have one fixed address; the matched name is the address',
      });
    }
  });
  nodes.forEach((n, i) => {
    if (n?.instance_id === undefined || !n.instance_id.includes('{{')) return;
    const parsed = parseTemplate(n.instance_id);
    if (!parsed.ok)
      found.push({
        path: `nodes[${i}].instance_id`,
        message: `invalid template: column ${parsed.column}: ${parsed.reason}`,
      });
  });
  return found;
}

function checkDuplicateRules(rules: ParsedConfig['rules']): Finding[] {
  const seen = new Map<string, number>();
  const found: Finding[] = [];
  rules.forEach((r, i) => {
    if (r?.name === undefined) return;
    const first = seen.get(r.name);
    if (first !== undefined)
      found.push({ path: `rules[${i}].name`, message: `duplicate rule "${r.name}" (first at rules[${first}])` });
    else seen.set(r.name, i);
  });
  return found;
}

function checkMatchers(rules: ParsedConfig['rules']): Finding[] {
  return rules.flatMap((r, i) =>
    (r?.matchers ?? []).flatMap((text, j): Finding[] => {
      if (text === undefined) return [];
      const parsed = parseMatcher(text);
      return parsed.ok
        ? []
        : [
            {
              path: `rules[${i}].matchers[${j}]`,
              message: `invalid matcher ${JSON.stringify(text)}: column ${parsed.column}: ${parsed.reason}`,
            },
          ];
    }),
  );
}

/** Templates in `node` and in every params string parse (unknown names and filters are found here). */
function checkTemplates(rules: ParsedConfig['rules']): Finding[] {
  const found: Finding[] = [];
  rules.forEach((r, i) => {
    if (r?.node !== undefined) {
      const parsed = parseTemplate(r.node);
      if (!parsed.ok)
        found.push({
          path: `rules[${i}].node`,
          message: `invalid template: column ${parsed.column}: ${parsed.reason}`,
        });
    }
    for (const key of ['steps', 'on_failure'] as const)
      (r?.[key] ?? []).forEach((step, j) => {
        for (const e of compileParams(step?.params ?? {}).errors) {
          found.push({
            path: toDotted(['rules', i, key, j, 'params', ...e.path]),
            message: `invalid template: column ${e.column}: ${e.reason}`,
          });
        }
      });
  });
  return found;
}

function checkNotifiers(rules: ParsedConfig['rules'], notify: ParsedConfig['notify']): Finding[] {
  const configured = Object.keys(notify);
  const list = configured.length ? `configured: ${configured.join(', ')}` : 'none configured';
  return rules.flatMap((r, i) =>
    (r?.notify ?? []).flatMap((name, k): Finding[] =>
      name === undefined || notify[name] !== undefined
        ? []
        : [
            {
              path: `rules[${i}].notify[${k}]`,
              message: `notifier "${name}" is not configured under notify: (${list})`,
            },
          ],
    ),
  );
}

/** blast_radius names exactly one limit: max_nodes or max_percent (docs/safety.md). */
function checkBlastRadius(
  rules: ParsedConfig['rules'],
  defaults: Parsed<GuardsSpec> | undefined,
  damaged: ReadonlySet<object>,
): Finding[] {
  const where: [string, Parsed<GuardsSpec> | undefined][] = [
    ['defaults.guards', defaults],
    ...rules.map((r, i): [string, Parsed<GuardsSpec> | undefined] => [`rules[${i}]`, r]),
  ];
  return where.flatMap(([path, g]): Finding[] => {
    const b = g?.blast_radius;
    if (b === undefined || damaged.has(b) || (b.max_nodes === undefined) !== (b.max_percent === undefined)) return [];
    return [
      {
        path: `${path}.blast_radius`,
        message: 'blast_radius needs exactly one of max_nodes or max_percent (with per)',
      },
    ];
  });
}

/** A rule's own `verify:` and `silence:` are about a firing alert: they mean nothing for a rule run `on: resolved`. */
function checkVerify(rules: ParsedConfig['rules']): Finding[] {
  return rules.flatMap((r, i): Finding[] =>
    (['verify', 'silence'] as const).flatMap((key): Finding[] =>
      r?.[key] !== undefined && r.on === 'resolved'
        ? [
            {
              path: `rules[${i}].${key}`,
              message:
                key === 'verify'
                  ? 'verify watches a firing alert resolve: it has no meaning on a rule with on: resolved'
                  : 'silence quiets a firing alert while it is repaired: it has no meaning on a rule with on: resolved',
            },
          ]
        : [],
    ),
  );
}
