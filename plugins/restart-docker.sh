#!/usr/bin/env bash
# ---
# name: restart-docker
# version: 1.0.0
# description: Restart the Docker daemon (systemd, else the service command) and wait until docker info answers
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
#       description: "How long to wait for docker info to answer after the restart (keep the run timeout, 180s, above it)"
# ---
# Output data: {before, after, method, waited_seconds}; before/after are
# {service_state, daemon_responding, containers_running}. Dry run: {dry_run, method, before, would}.
# Error codes: INVALID_INPUT, INVALID_PARAMS, DEPENDENCY_MISSING, RESTART_FAILED, SERVICE_NOT_HEALTHY.
set -euo pipefail

# jq reads the input and writes the output: without it, say so with a constant object.
if ! command -v jq >/dev/null 2>&1; then
  if [ ! -t 0 ]; then while IFS= read -r _; do :; done; fi
  printf '%s\n' '{"status":"error","summary":"jq is not installed on this node","error":{"code":"DEPENDENCY_MISSING","message":"jq is not installed on this node; the restart-docker plugin needs it to read its JSON input"}}'
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

if ! have docker; then
  fail DEPENDENCY_MISSING "docker (the CLI) is not installed on this node or not on PATH"
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
  restart_cmd=(systemctl restart docker)
elif have service; then
  method=service
  restart_cmd=(service docker restart)
else
  fail DEPENDENCY_MISSING "cannot restart docker: systemd is not running and the service command is not installed"
fi

# snapshot: prints {service_state, daemon_responding, containers_running} as JSON.
snapshot() {
  local service_state='' responding=false running='' out
  if [ "$method" = systemctl ]; then
    service_state=$(run_limited 10 systemctl is-active docker 2>/dev/null || true)
    service_state=${service_state%%$'\n'*}
  fi
  if out=$(run_limited 10 docker info --format '{{.ContainersRunning}}' 2>/dev/null); then
    responding=true
    running=${out%%$'\n'*}
  fi
  jq -cn --arg state "$service_state" --argjson responding "$responding" --arg running "$running" \
    '{service_state: (if $state == "" then null else $state end),
      daemon_responding: $responding,
      containers_running: (if ($running | test("^[0-9]+$")) then ($running | tonumber) else null end)}'
}

echo "restart-docker: method=$method wait_seconds=$wait_seconds dry_run=$dry_run" >&2
before=$(snapshot)

if [ "$dry_run" = true ]; then
  jq -cn --arg method "$method" --argjson before "$before" --argjson wait "$wait_seconds" \
    --arg cmd "${restart_cmd[*]}" '
    ["\($cmd)", "poll docker info once a second for up to \($wait)s"] as $would
    | {status: "ok",
       summary: "dry run: would restart docker with \($method) (\(if $before.daemon_responding then "\($before.containers_running // "?") containers running now" else "daemon not answering now" end))",
       data: {dry_run: true, method: $method, before: $before, would: $would, plan: $would}}'
  exit 0
fi

start=$SECONDS
echo "restart-docker: running ${restart_cmd[*]}" >&2
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

# Wait for the daemon: one docker info a second until it answers or wait_seconds pass.
# SECONDS counts whole seconds, so "SECONDS > deadline" means at least wait_seconds have passed
# (at most one more); ">=" could give up after wait_seconds - 1.
deadline=$((start + wait_seconds))
healthy=false
while :; do
  left=$((deadline + 1 - SECONDS))
  limit=$((left < 1 ? 1 : (left > 5 ? 5 : left)))
  if run_limited "$limit" docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; then
    healthy=true
    break
  fi
  if [ "$SECONDS" -gt "$deadline" ]; then break; fi
  sleep 1
done
waited=$((SECONDS - start))
after=$(snapshot)
data=$(jq -cn --argjson before "$before" --argjson after "$after" --arg method "$method" --argjson waited "$waited" \
  '{before: $before, after: $after, method: $method, waited_seconds: $waited}')

if [ "$healthy" != true ]; then
  fail SERVICE_NOT_HEALTHY "docker did not answer docker info within ${wait_seconds}s after ${restart_cmd[*]}" "$data"
fi
jq -cn --argjson data "$data" \
  '{status: "ok",
    summary: "docker restarted; \($data.after.containers_running // "unknown number of") containers running",
    data: $data}'
