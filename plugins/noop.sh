#!/usr/bin/env bash
# ---
# name: noop
# version: 1.0.0
# description: Change nothing; echo the input back (for tests and for checking that a node is reachable)
# mutating: false
# timeout: 10s
# become: false
# params:
#   type: object
#   additionalProperties: false
#   properties:
#     message:
#       type: string
#       maxLength: 1000
#       description: Optional text added to the summary
# ---
# Output: {"status":"ok","summary":"noop on <node>[: <message>]","data":{"input":<the whole input>}}
set -euo pipefail

# jq reads the input and writes the output: without it, say so with a constant object.
if ! command -v jq >/dev/null 2>&1; then
  if [ ! -t 0 ]; then while IFS= read -r _; do :; done; fi
  printf '%s\n' '{"status":"error","summary":"jq is not installed on this node","error":{"code":"DEPENDENCY_MISSING","message":"jq is not installed on this node; the noop plugin needs it to read its JSON input"}}'
  exit 1
fi

# One jq process reads, checks and answers (jq 1.6 spends ~30 ms of CPU starting, more than the rest
# of a run: docs/benchmarks.md, Fan-out). Its program prints exactly one object: the Result, or the
# error for input that is not one object or params that do not fit.
invalid_input='{"status":"error","summary":"noop: stdin must hold exactly one JSON object (the rune.plugin/v1 input)","data":{},"error":{"code":"INVALID_INPUT","message":"stdin must hold exactly one JSON object (the rune.plugin/v1 input)"}}'
# Not JSON at all: jq fails without output, and the constant says so.
out=$(jq -sc '
  def fail($code; $message):
    {status: "error", summary: ("noop: " + $message | gsub("[\\r\\n]+"; " ")), data: {}, error: {code: $code, message: $message}};
  if length != 1 or (.[0] | type) != "object" then
    fail("INVALID_INPUT"; "stdin must hold exactly one JSON object (the rune.plugin/v1 input)")
  else
    .[0] as $input
    # Defensive check of params (RUNE validated them already; a null value counts as missing).
    | (($input.params // {}) as $p
      | if ($p | type) != "object" then "params must be an object, got \($p | type)"
        else [
          ($p | keys[] | select(. != "message") | "unknown param \(tojson)"),
          ($p.message // null | select(. != null)
            | if type != "string" then "message must be a string, got \(type)"
              elif length > 1000 then "message must be at most 1000 characters, got \(length)"
              else empty end)
        ] | join("; ")
        end) as $problems
    | if $problems != "" then fail("INVALID_PARAMS"; $problems)
      else
        (($input.params // {}).message // null) as $message
        | ("noop on \($input.node // "unknown node")" + (if $message != null and $message != "" then ": \($message)" else "" end)) as $summary
        | {status: "ok", summary: ($summary | gsub("[\\r\\n]+"; " ")), data: {input: $input}}
      end
  end' 2>/dev/null) || out=
case "$out" in
  '{"status":"ok",'*) printf '%s\n' "$out" ;;
  '{"status":"error",'*) printf '%s\n' "$out"; exit 1 ;;
  *) printf '%s\n' "$invalid_input"; exit 1 ;;
esac
