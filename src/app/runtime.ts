import { readConfig } from '../config/read-config';
import type { RuneConfig } from '../config/config-types';
import type { RuleGuards } from '../guards/types';
import { resolveRuleGuards } from '../guards/resolve-rule-guards';
import { canonicalNodeName } from '../orchestrator/find-node';
import { loadRegistry, type PluginRegistry } from '../plugins/load-registry';
import { checkRulesAgainstRegistry } from '../rules/check-rules-against-registry';
import { compileRules, ON_FAILURE_STEP_BASE } from '../rules/compile-rules';
import { renderParams } from '../config/compile-params';
import { matchRules, type MatchOutcome } from '../rules/match-rules';
import type { Alert, Invocation } from '../core/types';

/** What the rules file and plugins folder give the service; replaced as a whole on reload. */
export interface Runtime {
  config: RuneConfig;
  registry: PluginRegistry;
  match: (alert: Alert) => MatchOutcome;
  /** Each rule's guards, resolved from the rule and defaults.guards (docs/safety.md). */
  guards: ReadonlyMap<string, RuleGuards>;
  /** A node's inventory name, the one every lock, guard and query keys on (docs/safety.md, Node identity). */
  canonicalNode: (asked: string) => string;
  /**
   * A failed rule run's `on_failure:` steps rendered for its alert, on `node`, numbered from
   * ON_FAILURE_STEP_BASE + 1 (docs/rules.md, escalate); [] when the rule has none or is gone.
   */
  onFailure: (rule: string, alert: Alert, node: string) => Invocation[];
}

/** rules.yaml + plugins → the rule engine, checked as a whole: an invalid file never half-loads. */
export function loadRuntime(where: { configPath: string; configExplicit: boolean; pluginsDir: string }): Runtime {
  const registry = loadRegistry(where.pluginsDir);
  // Schema, semantic and registry problems in one pass (CONFIG_INVALID lists them all, file:line).
  const config = readConfig(where.configPath, where.configExplicit, [(p) => checkRulesAgainstRegistry(p, registry)]);
  const compiled = compileRules(config.rules, config.defaults.on_failure);
  const guards = new Map(config.rules.map((r) => [r.name, resolveRuleGuards(r, config.defaults.guards, config.nodes)]));
  const canonicalNode = (asked: string) => canonicalNodeName(config, asked);
  const onFailure = (rule: string, alert: Alert, node: string): Invocation[] =>
    (compiled.find((r) => r.name === rule)?.onFailure ?? []).map((step, i) => ({
      rule,
      step: ON_FAILURE_STEP_BASE + i,
      action: step.action,
      node,
      params: renderParams(step.params, alert) as Record<string, unknown>,
      continueOnError: step.continueOnError,
      notify: [...(compiled.find((r) => r.name === rule)?.notify ?? [])],
      alert,
    }));
  return { config, registry, match: (alert) => matchRules(compiled, alert), guards, canonicalNode, onFailure };
}
