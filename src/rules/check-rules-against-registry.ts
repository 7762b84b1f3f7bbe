import type { ConfigProblem, ParsedConfig } from '../config/config-types';
import { isTemplate } from '../config/parse-template';
import { brokenPlugin, formatPluginProblem } from '../plugins/find-plugin';
import type { PluginRegistry } from '../plugins/load-registry';

/** What the check reads of a config: a whole RuneConfig, or the parts of a file that parsed. */
export type RulesToCheck = Pick<ParsedConfig, 'source' | 'rules'> & {
  lines?: ReadonlyMap<string, number>;
  /** defaults.on_failure is checked too when given. */
  defaults?: { on_failure?: ParsedConfig['defaults']['on_failure'] };
};

/**
 * The checks of rules.yaml that need the plugins (docs/architecture.md, Configuration): every step names a
 * plugin that loads (UNKNOWN_ACTION when none has that name, PLUGIN_BROKEN when its file does not
 * load), and params without templates satisfy that plugin's JSON Schema (INVALID_PARAMS). Pure: the
 * registry is already loaded. Pass it to validateConfig or readConfig as a check
 * (`(parsed) => checkRulesAgainstRegistry(parsed, registry)`) and it runs on every rule that parsed.
 *
 * A templated string is only known after rendering, so its pattern, enum and length are checked
 * at run time by the orchestrator; its type is checked here, because a template always renders a
 * string (`wait_seconds: "{{ labels.x }}"` can never satisfy `type: integer`).
 * A mutating action in an `on: resolved` rule is allowed (e.g. undo a drain when the alert clears).
 */
export function checkRulesAgainstRegistry(
  config: RulesToCheck,
  registry: Pick<PluginRegistry, 'dir' | 'plugins' | 'problems' | 'validator'>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // Problems inside params point at the nearest line the file has (a missing param has none).
  const nearestLine = (segments: string[]): number | null => {
    for (let n = segments.length; n > 0; n--) {
      const line = config.lines?.get(segments.slice(0, n).join('')) ?? null;
      if (line !== null) return line;
    }
    return null;
  };
  const known = [...registry.plugins.keys()].sort();
  const lists = [
    ...config.rules.flatMap((rule, i) => [
      { at: `rules[${i}].steps`, steps: rule?.steps ?? [] },
      { at: `rules[${i}].on_failure`, steps: rule?.on_failure ?? [] },
    ]),
    { at: 'defaults.on_failure', steps: config.defaults?.on_failure ?? [] },
  ];
  lists.forEach(({ at: listPath, steps }) => {
    steps.forEach((step, j) => {
      if (step?.action === undefined) return;
      const stepPath = `${listPath}[${j}]`;
      const at = { file: config.source, line: nearestLine([stepPath, '.action']), path: `${stepPath}.action` };
      if (!registry.plugins.has(step.action)) {
        const broken = brokenPlugin(registry, step.action);
        problems.push(
          broken.length > 0
            ? {
                ...at,
                code: 'PLUGIN_BROKEN',
                message: `plugin "${step.action}" cannot be loaded: ${broken.map(formatPluginProblem).join('; ')}`,
              }
            : {
                ...at,
                code: 'UNKNOWN_ACTION',
                message: `unknown action "${step.action}" (plugins in ${registry.dir}: ${known.join(', ') || 'none'})`,
              },
        );
        return;
      }
      const params = step.params ?? {};
      const templated = templatedPointers(params);
      const validate = registry.validator(step.action);
      // The validator fills in defaults in place: never hand it the config's own objects.
      if (validate(structuredClone(params))) return;
      for (const e of validate.errors ?? []) {
        if (templated.has(e.instancePath) && e.keyword !== 'type') continue;
        const segments = [`${stepPath}.params`, ...e.instancePath.split('/').slice(1).map(pointerSegment)];
        const unknown = e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : null;
        const extra =
          (unknown === null ? '' : ` (unknown param "${unknown}")`) +
          (templated.has(e.instancePath) ? ' (a template always renders a string)' : '');
        problems.push({
          file: config.source,
          line: nearestLine(unknown === null ? segments : [...segments, `.${unknown}`]),
          path: segments.join(''),
          code: 'INVALID_PARAMS',
          message: `${step.action} params: ${e.message ?? 'invalid'}${extra}`,
        });
      }
    });
  });
  return problems;
}

/** JSON Pointers (ajv's instancePath) of every string in `value` that holds a template. */
function templatedPointers(value: unknown, pointer = '', out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    if (isTemplate(value)) out.add(pointer);
  } else if (Array.isArray(value)) {
    value.forEach((v: unknown, i) => templatedPointers(v, `${pointer}/${i}`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value))
      templatedPointers(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
  return out;
}

/** One JSON Pointer segment as a piece of a dotted path: `[3]` or `.name`. */
function pointerSegment(s: string): string {
  const t = s.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(t) ? `[${t}]` : `.${t}`;
}
