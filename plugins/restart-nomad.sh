#!/usr/bin/env bash
# ---
# name: restart-nomad
# version: 1.0.0
# description: Restart the Nomad agent (systemd, else the service command) and wait until this node reports ready
# mutating: true
# timeout: 180s
# become: true
# params:
#   type: object
#   additionalProperties: false
#   properties:
#     wait_seconds:
#       type: integer
#       minimum: 1
#       maximum: 600
#       default: 60
#       description: "How long to wait for nomad node status -self to answer after the restart (keep the run timeout, 180s, above it)"
# ---
# Health: `nomad node status -self -short` exits 0 and its Status line, when present, says ready.
# The node must be a Nomad client; with ACLs, the agent's environment must provide NOMAD_TOKEN.
# Output data: {before, after, method, waited_seconds}; before/after are
# {service_state, agent_responding, node_status, eligibility}. Dry run: {dry_run, method, before, would}.
# Error codes: INVALID_INPUT, INVALID_PARAMS, DEPENDENCY_MISSING, RESTART_FAILED, SERVICE_NOT_HEALTHY.
set -euo pipefail

# jq reads the input and writes the output: without it, say so with a constant object.
if ! command -v jq >/dev/null 2>&1; then
  if [ ! -t 0 ]; then while IFS= read -r _; do :; done; fi
  printf '%s\n' '{"status":"error","summary":"jq is not installed on this node","error":{"code":"DEPENDENCY_MISSING","message":"jq is not installed on this node; the restart-nomad plugin needs it to read its JSON input"}}'
  exit 1
fi

# fail CODE MESSAGE [DATA_JSON]: prints the error object and exits 1.
fail() {
  local data='{}'
  if [ "$#" -ge 3 ]; then data=$3; fi
  jq -cn --arg code "$1" --arg message "$2" --argjson data "$data" \
    '{status: "error", summary: ($message | gsub("[\\r\\n]+"; " ")), data: $data, error: {code: $code, message: $message}}'
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# run_limited SECONDS CMD...: runs CMD under coreutils timeout when the node has it.
run_limited() {
  local limit=$1
  shift
  if have timeout; then timeout "$limit" "$@"; else "$@"; fi
}

input=$(cat)
if ! jq -se 'length == 1 and (.[0] | type) == "object"' >/dev/null 2>&1 <<<"$input"; then
  fail INVALID_INPUT "stdin must hold exactly one JSON object (the rune.plugin/v1 input)"
fi
if ! jq -e '(.dry_run // false) | type == "boolean"' >/dev/null <<<"$input"; then
  fail INVALID_INPUT "dry_run must be true or false"
fi

# Defensive check of params (RUNE validated them already; a null value counts as missing).
problems=$(jq -r '
  (.params // {}) as $p
  | if ($p | type) != "object" then "params must be an object, got \($p | type)"
    else [
      ($p | keys[] | select(. != "wait_seconds") | "unknown param \(tojson)"),
      ($p.wait_seconds // null | select(. != null)
        | select((type == "number" and . == floor and . >= 1 and . <= 600) | not)
        | "wait_seconds must be an integer from 1 to 600, got \(tojson)")
    ] | join("; ")
    end' <<<"$input")
if [ -n "$problems" ]; then
  fail INVALID_PARAMS "$problems"
fi
wait_seconds=$(jq -r '(.params // {}).wait_seconds // 60' <<<"$input")
dry_run=$(jq -r '.dry_run // false' <<<"$input")

if ! have nomad; then
  fail DEPENDENCY_MISSING "nomad (the CLI) is not installed on this node or not on PATH"
fi

# How to restart. systemctl only works when systemd is PID 1; `systemctl is-system-running`
# prints "offline" (and fails) otherwise, e.g. in containers that ship systemctl. We ask it
# rather than test for /run/systemd/system so that the decision can be steered by a fake
# systemctl in tests. "degraded" (a unit failed somewhere) exits non-zero yet systemd works.
systemd_usable() {
  have systemctl || return 1
  local state
  state=$(run_limited 10 systemctl is-system-running 2>/dev/null || true)
  case $state in
    running | degraded | starting | initializing | maintenance) return 0 ;;
    *) return 1 ;;
  esac
}
if systemd_usable; then
  method=systemctl
  restart_cmd=(systemctl restart nomad)
elif have service; then
  method=service
  restart_cmd=(service nomad restart)
else
  fail DEPENDENCY_MISSING "cannot restart nomad: systemd is not running and the service command is not installed"
fi

# node_field NAME TEXT: the value of a "Name = value" line of `nomad node status -short`.
node_field() {
  local line
  while IFS= read -r line; do
    case $line in
      "$1"[[:space:]]*=*)
        line=${line#*=}
        line=${line#"${line%%[![:space:]]*}"}
        printf '%s' "${line%"${line##*[![:space:]]}"}"
        return 0
        ;;
    esac
  done <<<"$2"
}

# snapshot: prints {service_state, agent_responding, node_status, eligibility} as JSON.
snapshot() {
  local service_state='' responding=false status='' eligibility='' out
  if [ "$method" = systemctl ]; then
    service_state=$(run_limited 10 systemctl is-active nomad 2>/dev/null || true)
    service_state=${service_state%%$'\n'*}
  fi
  if out=$(run_limited 10 nomad node status -self -short 2>/dev/null); then
    responding=true
    status=$(node_field Status "$out")
    eligibility=$(node_field Eligibility "$out")
  fi
  jq -cn --arg state "$service_state" --argjson responding "$responding" --arg status "$status" --arg elig "$eligibility" \
    '{service_state: (if $state == "" then null else $state end),
      agent_responding: $responding,
      node_status: (if $status == "" then null else $status end),
      eligibility: (if $elig == "" then null else $elig end)}'
}

# healthy LIMIT: the agent answers and, when it says, the node is ready.
healthy() {
  local out status
  out=$(run_limited "$1" nomad node status -self -short 2>/dev/null) || return 1
  status=$(node_field Status "$out")
  [ -z "$status" ] || [ "$status" = ready ]
}

echo "restart-nomad: method=$method wait_seconds=$wait_seconds dry_run=$dry_run" >&2
before=$(snapshot)

if [ "$dry_run" = true ]; then
  jq -cn --arg method "$method" --argjson before "$before" --argjson wait "$wait_seconds" \
    --arg cmd "${restart_cmd[*]}" '
    ["\($cmd)", "poll nomad node status -self once a second for up to \($wait)s until the node is ready"] as $would
    | {status: "ok",
       summary: "dry run: would restart nomad with \($method) (node \($before.node_status // "not answering") now)",
       data: {dry_run: true, method: $method, before: $before, would: $would, plan: $would}}'
  exit 0
fi

start=$SECONDS
echo "restart-nomad: running ${restart_cmd[*]}" >&2
rc=0
restart_out=$(run_limited 120 "${restart_cmd[@]}" 2>&1) || rc=$?
if [ -n "$restart_out" ]; then printf '%s\n' "$restart_out" >&2; fi
if [ "$rc" -ne 0 ]; then
  after=$(snapshot)
  data=$(jq -cn --argjson before "$before" --argjson after "$after" --arg method "$method" --argjson rc "$rc" --arg out "$restart_out" \
    '{before: $before, after: $after, method: $method, exit_code: $rc, output: ($out | .[-2000:])}')
  last_line=${restart_out##*$'\n'}
  fail RESTART_FAILED "${restart_cmd[*]} failed (exit $rc)${last_line:+: $last_line}" "$data"
fi

# Wait for the agent: one nomad node status a second until the node is ready or wait_seconds pass.
# SECONDS counts whole seconds, so "SECONDS > deadline" means at least wait_seconds have passed
# (at most one more); ">=" could give up after wait_seconds - 1.
deadline=$((start + wait_seconds))
ok=false
while :; do
  left=$((deadline + 1 - SECONDS))
  limit=$((left < 1 ? 1 : (left > 5 ? 5 : left)))
  if healthy "$limit"; then
    ok=true
    break
  fi
  if [ "$SECONDS" -gt "$deadline" ]; then break; fi
  sleep 1
done
waited=$((SECONDS - start))
after=$(snapshot)
data=$(jq -cn --argjson before "$before" --argjson after "$after" --arg method "$method" --argjson waited "$waited" \
  '{before: $before, after: $after, method: $method, waited_seconds: $waited}')

if [ "$ok" != true ]; then
  fail SERVICE_NOT_HEALTHY "nomad node status -self did not report a ready node within ${wait_seconds}s after ${restart_cmd[*]}" "$data"
fi
jq -cn --argjson data "$data" \
  '{status: "ok",
    summary: "nomad restarted; node \($data.after.node_status // "answering")\(if $data.after.eligibility then " (\($data.after.eligibility))" else "" end)",
    data: $data}'
