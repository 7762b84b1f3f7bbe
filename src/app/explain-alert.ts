import type { RuneConfig } from '../config/config-types';
import { isRuneError } from '../core/errors';
import { decideGuards } from '../guards/decide-guards';
import { windowText } from '../util/duration';
import type { GuardFacts } from '../core/guard-state';
import type { RuleGuards } from '../guards/types';
import { ruleEscalate, ruleSilence, ruleVerify } from '../rules/rule-verify';
import { renderParams } from '../config/compile-params';
import { alertRef } from '../core/alert-ref';
import { episodeKey } from '../jobs/episode-key';
import { planRun } from '../orchestrator/plan-run';
import { canonicalNodeName } from '../orchestrator/find-node';
import { resolveNode, type ResolveEnv } from '../orchestrator/resolve-node';
import type { PluginRegistry } from '../plugins/load-registry';
import type { FactsQuery } from '../store/read-guard-facts';
import type { Job } from '../core/job';
import type { Alert, TransportKind } from '../core/types';
import type { CompiledRule } from '../rules/compile-rules';
import { explainMatch, type RuleMatchExplanation } from '../rules/explain-match';
import { matchRules } from '../rules/match-rules';

export interface Problem {
  code: string;
  message: string;
}

/** Where a rule's node resolves in the inventory. */
export interface NodeView {
  /** The node template, and what it rendered for this alert. */
  template: string;
  rendered: string;
  /** The inventory entry it resolves to; null when it does not (see the rule's problems). */
  inventory: string | null;
  address: string | null;
  user: string | null;
  port: number | null;
  transport: TransportKind | null;
  instance_id: string | null;
}

export interface StepView {
  step: number;
  action: string;
  /** As the rule renders them for this alert (what is stored with the job). */
  params: Record<string, unknown>;
  /** After validation against the plugin's schema, defaults filled in; null when invalid. */
  validated_params: Record<string, unknown> | null;
  problem: Problem | null;
}

export interface GuardView {
  decision: 'admit' | 'refuse' | 'duplicate';
  /** The guard's reason when refused (its prefix is the contract: cooldown:, budget:, …). */
  reason: string | null;
  /** Half-open breaker: this run would be the probe. */
  probe: boolean;
  /** False: no database, the decision is on a fresh state. */
  history: boolean;
  /** A duplicate: the jobs that episode already has. */
  jobs: { id: string; action: string; status: string; reason: string | null }[];
  settings: { cooldown: string | null; budget: string | null; blast_radius: string | null; breaker: string };
}

export interface RuleExplanation extends RuleMatchExplanation {
  /** Only for a rule that matched. */
  node: NodeView | null;
  steps: StepView[];
  guards: GuardView | null;
  /** After a succeeded run: how long RUNE watches the alert resolve (docs/rules.md, verify); null: not. */
  verify: { within: string; query: string | null } | null;
  /** While it repairs: an Alertmanager silence for the alert (docs/rules.md, silence); null: none. */
  silence: { during: 'run' | 'until_verified'; max: string } | null;
  /** When automation did not fix it: a PagerDuty page (docs/rules.md, escalate); null: none. */
  escalate: { on: string[]; severity: string } | null;
  /** The `on_failure:` steps rendered for this alert (run only if the rule run fails). */
  on_failure: { action: string; params: Record<string, unknown> }[];
  problems: Problem[];
}

export interface AlertExplanation {
  source: string;
  status: Alert['status'];
  fingerprint: string;
  startsAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  rules: RuleExplanation[];
}

export interface ExplainContext {
  config: RuneConfig;
  rules: readonly CompiledRule[];
  registry: PluginRegistry;
  guards: ReadonlyMap<string, RuleGuards>;
  env: ResolveEnv;
  /** Epoch ms: guards decide "now". */
  now: number;
  /** The database's state, or null when there is none (fresh state). */
  history: { facts(q: FactsQuery): GuardFacts; jobsForKey(key: string): Job[] | null } | null;
}

const FRESH: GuardFacts = {
  pause: null,
  breaker: null,
  lastRunOnNode: null,
  runsInBudgetWindow: 0,
  nodesInBlastWindow: 0,
  nodeInBlastWindow: false,
};

const problemOf = (err: unknown): Problem =>
  isRuneError(err) ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: (err as Error).message };

/**
 * What RUNE would do with one alert, without doing it: every rule's matcher verdicts (explainMatch),
 * and for each rule that matches, the invocations of the rule engine (matchRules), the node in the
 * inventory (resolveNode), each step's params checked by the orchestrator's own planning (planRun)
 * and the guards' decision (decideGuards) on the database's facts. Nothing is written or run.
 */
export function explainAlert(alert: Alert, ctx: ExplainContext): AlertExplanation {
  const rules = explainMatch(ctx.rules, alert).map((m, i): RuleExplanation => {
    const out: RuleExplanation = {
      ...m,
      node: null,
      steps: [],
      guards: null,
      verify: null,
      silence: null,
      escalate: null,
      on_failure: [],
      problems: [],
    };
    const rule = ctx.rules[i] as CompiledRule;
    if (!m.matched) return out;
    const spec = ctx.config.rules.find((r) => r.name === rule.name);
    const verify = spec ? ruleVerify(spec, ctx.config.defaults.verify) : null;
    out.verify = verify && { within: verify.within, query: verify.query };
    const silence = spec ? ruleSilence(spec, ctx.config.defaults.silence) : null;
    out.silence = silence && { during: silence.during, max: silence.max };
    const escalate = spec ? ruleEscalate(spec, ctx.config.defaults.escalate) : null;
    out.escalate = escalate && { on: [...escalate.on], severity: escalate.severity };
    out.on_failure = rule.onFailure.map((step) => ({
      action: step.action,
      params: renderParams(step.params, alert) as Record<string, unknown>,
    }));
    const { invocations, problems } = matchRules([rule], alert);
    out.problems.push(...problems.map((p) => ({ code: 'NODE_EMPTY', message: p.message })));
    const first = invocations[0];
    if (!first) return out;
    const ref = alertRef(alert);
    const node: NodeView = {
      template: rule.node.source,
      rendered: first.node,
      inventory: null,
      address: null,
      user: null,
      port: null,
      transport: null,
      instance_id: null,
    };
    let nodeProblem: string | null = null;
    try {
      const t = resolveNode(ctx.config, first.node, ctx.env, undefined, ref);
      Object.assign(node, {
        inventory: t.node,
        address: t.address,
        user: t.user,
        port: t.port,
        transport: t.transport,
        instance_id: t.instanceId ?? null,
      });
    } catch (err) {
      const p = problemOf(err);
      nodeProblem = p.code;
      out.problems.push(p);
    }
    out.node = node;
    out.steps = invocations.map((inv): StepView => {
      const view: StepView = {
        step: inv.step,
        action: inv.action,
        params: inv.params,
        validated_params: null,
        problem: null,
      };
      try {
        const plan = planRun(
          {
            action: inv.action,
            node: inv.node,
            params: inv.params,
            dryRun: true,
            pluginDryRun: false,
            trigger: { kind: 'alert', rule: rule.name },
            alert: ref,
            jobId: 'explain',
            traceId: 'explain',
          },
          ctx.registry,
          ctx.config,
          ctx.env,
        );
        view.validated_params = plan.payload.params;
      } catch (err) {
        const p = problemOf(err);
        // The node's problem is shown once, on the rule; a step only adds its own (action, params).
        if (p.code !== nodeProblem) view.problem = p;
      }
      return view;
    });
    // Guards count runs on the node as the inventory names it, as the service does (docs/safety.md).
    out.guards = explainGuards(rule.name, alert, canonicalNodeName(ctx.config, first.node), ctx);
    return out;
  });
  return {
    source: alert.source,
    status: alert.status,
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt,
    labels: alert.labels,
    annotations: alert.annotations,
    rules,
  };
}

/** Dedup first (a repeated episode is not a new decision), then decideGuards as ingest calls it. */
function explainGuards(rule: string, alert: Alert, node: string, ctx: ExplainContext): GuardView | null {
  const g = ctx.guards.get(rule);
  if (!g) return null;
  const settings = {
    cooldown: g.cooldownMs === null ? null : windowText(g.cooldownMs),
    budget: g.budget === null ? null : `${g.budget.maxRuns} runs per ${windowText(g.budget.perMs)}`,
    blast_radius: g.blastRadius === null ? null : g.blastRadius.describe,
    breaker:
      `opens after ${g.breaker.failures} failed runs in a row, ` + `probe after ${windowText(g.breaker.probeAfterMs)}`,
  };
  const base = { history: ctx.history !== null, jobs: [], settings };
  const seen = ctx.history?.jobsForKey(episodeKey(rule, alert)) ?? null;
  if (seen !== null) {
    return {
      ...base,
      decision: 'duplicate',
      reason:
        `this alert episode (fingerprint ${alert.fingerprint}, startsAt ${alert.startsAt}) already had its run ` +
        `of rule ${rule}; a re-sent notification runs nothing again`,
      probe: false,
      jobs: seen.map((j) => ({ id: j.id, action: j.request.action, status: j.status, reason: j.reason })),
    };
  }
  const windows = {
    cooldownMs: g.cooldownMs,
    budgetMs: g.budget?.perMs ?? null,
    blastMs: g.blastRadius?.perMs ?? null,
  };
  const facts = ctx.history ? ctx.history.facts({ rule, node, at: ctx.now, windows }) : FRESH;
  const verdict = decideGuards(g, node, facts, ctx.now);
  return verdict.admit
    ? { ...base, decision: 'admit', reason: null, probe: verdict.probe }
    : { ...base, decision: 'refuse', reason: verdict.reason, probe: false };
}
