#!/usr/bin/env bash
# ---
# name: gather-logs
# version: 1.0.0
# description: Collect recent logs (systemd journal, docker containers, files) into the result, size-capped
# mutating: false
# timeout: 120s
# become: true
# params:
#   type: object
#   additionalProperties: false
#   properties:
#     since:
#       type: string
#       pattern: '^([0-9]{1,6}[smhd]|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?)$'
#       default: 30m
#       description: "How far back to read: a duration (30s, 30m, 2h, 1d) or an ISO 8601 time (2024-05-01T10:00:00Z)"
#     units:
#       type: array
#       maxItems: 32
#       items: {type: string, maxLength: 256, pattern: '^[A-Za-z0-9@._:][A-Za-z0-9@._:-]*$'}
#       default: [docker]
#       description: systemd units whose journal is read (journalctl --unit)
#     containers:
#       type: array
#       maxItems: 32
#       items: {type: string, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$'}
#       default: []
#       description: Docker container names or ids whose logs are read (docker logs)
#     files:
#       type: array
#       maxItems: 32
#       items: {type: string, maxLength: 4096, pattern: '^/[^\x00-\x1f]*$'}
#       default: []
#       description: Absolute paths of log files whose last lines are read (tail)
#     max_bytes:
#       type: integer
#       minimum: 1
#       maximum: 1048576
#       default: 65536
#       description: Cap per source in bytes; the newest part is kept and the source is marked truncated
#     lines:
#       type: integer
#       minimum: 1
#       maximum: 10000
#       default: 500
#       description: At most this many lines per source
# ---
# Output data: {since, since_time, sources: [{kind: journal|docker|file, name, ok, bytes, truncated,
# content, error}]}. A failed source carries its error and does not fail the run unless every
# source failed (then status error: DEPENDENCY_MISSING when only tools were missing, else
# ALL_SOURCES_FAILED). All contents together are also capped (768 KiB) so that the result stays
# below RUNE's 1 MiB stdout limit. Dry run: {dry_run, since, since_time, would, plan}.
# Error codes: INVALID_INPUT, INVALID_PARAMS, DEPENDENCY_MISSING, ALL_SOURCES_FAILED.
set -euo pipefail

# jq reads the input and writes the output: without it, say so with a constant object.
if ! command -v jq >/dev/null 2>&1; then
  if [ ! -t 0 ]; then while IFS= read -r _; do :; done; fi
  printf '%s\n' '{"status":"error","summary":"jq is not installed on this node","error":{"code":"DEPENDENCY_MISSING","message":"jq is not installed on this node; the gather-logs plugin needs it to read its JSON input"}}'
  exit 1
fi

TOTAL_BUDGET=786432 # bytes of content for all sources together
SOURCE_TIME_LIMIT=20 # seconds per journalctl / docker logs / tail

# fail CODE MESSAGE: prints the error object and exits 1.
fail() {
  jq -cn --arg code "$1" --arg message "$2" \
    '{status: "error", summary: ($message | gsub("[\\r\\n]+"; " ")), data: {}, error: {code: $code, message: $message}}'
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

# Defensive check of params, mirroring the schema above (a null value counts as missing).
problems=$(jq -r '
  def since_pattern: "^([0-9]{1,6}[smhd]|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?)$";
  def int_between($name; $lo; $hi):
    select(. != null)
    | select((type == "number" and . == floor and . >= $lo and . <= $hi) | not)
    | "\($name) must be an integer from \($lo) to \($hi), got \(tojson)";
  def names($name; $pattern; $max; $what):
    select(. != null)
    | if type != "array" then "\($name) must be an array of \($what), got \(type)"
      elif length > 32 then "\($name) may list at most 32 entries, got \(length)"
      else .[] | select((type == "string" and length <= $max and test($pattern)) | not)
        | "\($name): \(tojson) is not a valid \($what)"
      end;
  (.params // {}) as $p
  | if ($p | type) != "object" then "params must be an object, got \($p | type)"
    else [
      ($p | keys[] | select(. as $k | ["since", "units", "containers", "files", "max_bytes", "lines"] | index([$k]) == null) | "unknown param \(tojson)"),
      ($p.since // null | select(. != null)
        | select((type == "string" and test(since_pattern)) | not)
        | "since must be a duration like 30m, 2h, 1d or an ISO 8601 time, got \(tojson)"),
      ($p.units // null | names("units"; "^[A-Za-z0-9@._:][A-Za-z0-9@._:-]*$"; 256; "systemd unit name")),
      ($p.containers // null | names("containers"; "^[A-Za-z0-9][A-Za-z0-9_.-]*$"; 128; "container name or id")),
      ($p.files // null | select(. != null)
        | if type != "array" then "files must be an array of absolute paths, got \(type)"
          elif length > 32 then "files may list at most 32 entries, got \(length)"
          else .[] | select((type == "string" and length <= 4096 and startswith("/") and (any(explode[]; . < 32) | not)) | not)
            | "files: \(tojson) is not an absolute path"
          end),
      ($p.max_bytes // null | int_between("max_bytes"; 1; 1048576)),
      ($p.lines // null | int_between("lines"; 1; 10000))
    ] | join("; ")
    end' <<<"$input")
if [ -n "$problems" ]; then
  fail INVALID_PARAMS "$problems"
fi

since=$(jq -r '(.params // {}).since // "30m"' <<<"$input")
max_bytes=$(jq -r '(.params // {}).max_bytes // 65536' <<<"$input")
lines=$(jq -r '(.params // {}).lines // 500' <<<"$input")
dry_run=$(jq -r '.dry_run // false' <<<"$input")
mapfile -t units < <(jq -r '((.params // {}).units // ["docker"])[]' <<<"$input")
mapfile -t containers < <(jq -r '((.params // {}).containers // [])[]' <<<"$input")
mapfile -t files < <(jq -r '((.params // {}).files // [])[]' <<<"$input")

# One start time for every source: journalctl gets local "YYYY-MM-DD HH:MM:SS", docker epoch seconds.
now=$(date +%s)
if [[ $since =~ ^([0-9]+)([smhd])$ ]]; then
  amount=$((10#${BASH_REMATCH[1]}))
  case ${BASH_REMATCH[2]} in
    s) since_epoch=$((now - amount)) ;;
    m) since_epoch=$((now - amount * 60)) ;;
    h) since_epoch=$((now - amount * 3600)) ;;
    *) since_epoch=$((now - amount * 86400)) ;;
  esac
elif ! since_epoch=$(date -d "$since" +%s 2>/dev/null); then
  fail INVALID_PARAMS "since: \"$since\" is not a valid date"
fi
if [ "$since_epoch" -lt 0 ]; then since_epoch=0; fi
journal_since=$(date -d "@$since_epoch" '+%Y-%m-%d %H:%M:%S')
since_time=$(date -u -d "@$since_epoch" '+%Y-%m-%dT%H:%M:%SZ')
echo "gather-logs: since=$since ($since_time) units=${#units[@]} containers=${#containers[@]} files=${#files[@]}" >&2

if [ "$dry_run" = true ]; then
  have_journalctl=false have_docker=false
  if have journalctl; then have_journalctl=true; fi
  if have docker; then have_docker=true; fi
  jq -c --arg since "$since" --arg since_time "$since_time" --arg jsince "$journal_since" --arg dsince "$since_epoch" \
    --arg lines "$lines" --argjson max "$max_bytes" --argjson hj "$have_journalctl" --argjson hd "$have_docker" '
    (.params // {}) as $p
    | [(($p.units // ["docker"])[] | {kind: "journal", name: ., available: $hj,
         command: ["journalctl", "--unit=\(.)", "--since", $jsince, "--no-pager", "-n", $lines, "-o", "short-iso"]}),
       (($p.containers // [])[] | {kind: "docker", name: ., available: $hd,
         command: ["docker", "logs", "--timestamps", "--since", $dsince, "--tail", $lines, "--", .]}),
       (($p.files // [])[] | {kind: "file", name: ., available: true, command: ["tail", "-n", $lines, "--", .]})] as $plan
    | {status: "ok",
       summary: "dry run: would gather \($plan | length) source\(if ($plan | length) == 1 then "" else "s" end) since \($since), at most \($max) bytes each",
       data: {dry_run: true, since: $since, since_time: $since_time, max_bytes: $max,
              would: [$plan[] | .command | join(" ")], plan: $plan}}' <<<"$input"
  exit 0
fi

if [ $((${#units[@]} + ${#containers[@]} + ${#files[@]})) -eq 0 ]; then
  jq -cn --arg since "$since" --arg since_time "$since_time" \
    '{status: "skipped", summary: "no sources to gather (units, containers and files are all empty)",
      data: {since: $since, since_time: $since_time, sources: []}}'
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gather-logs.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
raw="$work/raw"
err="$work/err"
kept="$work/kept"
n=0
ok_count=0
failed_count=0
missing_count=0
budget=$TOTAL_BUDGET
budget_hit=false
truncated=false

size_of() {
  local s
  s=$(wc -c <"$1")
  printf '%s' "${s//[[:space:]]/}"
}

# record KIND NAME OK ERROR CONTENT_FILE: writes one source entry (content read by jq from the file,
# never through the command line, which caps one argument at 128 KiB).
record() {
  local bytes
  bytes=$(size_of "$5")
  n=$((n + 1))
  jq -Rs --arg kind "$1" --arg name "$2" --argjson ok "$3" --arg error "$4" \
    --argjson bytes "$bytes" --argjson truncated "$truncated" \
    '{kind: $kind, name: $name, ok: $ok, bytes: $bytes, truncated: $truncated, content: .,
      error: (if $ok then null else $error end)}' <"$5" >"$work/entry.$(printf '%05d' "$n").json"
}

# failed KIND NAME MESSAGE [missing]
failed() {
  : >"$kept"
  truncated=false
  failed_count=$((failed_count + 1))
  if [ "${4:-}" = missing ]; then missing_count=$((missing_count + 1)); fi
  echo "gather-logs: $1 $2: $3" >&2
  record "$1" "$2" false "$3" "$kept"
}

# succeeded KIND NAME: keeps the newest part of $raw within the caps, then records it.
succeeded() {
  local cap=$max_bytes size
  if [ "$budget" -lt "$cap" ]; then cap=$budget; fi
  size=$(size_of "$raw")
  if [ "$size" -le "$cap" ]; then
    cat -- "$raw" >"$kept"
    truncated=false
  else
    truncated=true
    if [ "$cap" -lt "$max_bytes" ]; then budget_hit=true; fi
    tail -c "$cap" -- "$raw" >"$kept"
    # Start at a line boundary when the kept part holds one.
    if tail -n +2 -- "$kept" >"$kept.cut" && [ -s "$kept.cut" ]; then mv -- "$kept.cut" "$kept"; fi
  fi
  budget=$((budget - $(size_of "$kept")))
  ok_count=$((ok_count + 1))
  record "$1" "$2" true "" "$kept"
}

# why TOOL RC FILE: one line explaining a failed command.
why() {
  local last='' line
  if [ "$2" -eq 124 ]; then
    printf '%s timed out after %ss' "$1" "$SOURCE_TIME_LIMIT"
    return
  fi
  while IFS= read -r line; do
    if [ -n "$line" ]; then last=$line; fi
  done <"$3"
  if [ -n "$last" ]; then printf '%s' "${last:0:300}"; else printf '%s exited with %s' "$1" "$2"; fi
}

for unit in "${units[@]}"; do
  if ! have journalctl; then
    failed journal "$unit" "journalctl is not installed on this node (DEPENDENCY_MISSING)" missing
    continue
  fi
  rc=0
  run_limited "$SOURCE_TIME_LIMIT" journalctl "--unit=$unit" --since "$journal_since" --no-pager \
    -n "$lines" -o short-iso >"$raw" 2>"$err" || rc=$?
  if [ "$rc" -ne 0 ]; then failed journal "$unit" "$(why journalctl "$rc" "$err")"; else succeeded journal "$unit"; fi
done

for container in "${containers[@]}"; do
  if ! have docker; then
    failed docker "$container" "docker is not installed on this node (DEPENDENCY_MISSING)" missing
    continue
  fi
  rc=0
  # docker logs replays the container's stderr on its own stderr: keep both streams.
  run_limited "$SOURCE_TIME_LIMIT" docker logs --timestamps --since "$since_epoch" --tail "$lines" \
    -- "$container" >"$raw" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then failed docker "$container" "$(why docker "$rc" "$raw")"; else succeeded docker "$container"; fi
done

for file in "${files[@]}"; do
  if [ ! -e "$file" ]; then
    failed file "$file" "no such file"
  elif [ ! -f "$file" ]; then
    failed file "$file" "not a regular file"
  elif [ ! -r "$file" ]; then
    failed file "$file" "permission denied"
  else
    rc=0
    run_limited "$SOURCE_TIME_LIMIT" tail -n "$lines" -- "$file" >"$raw" 2>"$err" || rc=$?
    if [ "$rc" -ne 0 ]; then failed file "$file" "$(why tail "$rc" "$err")"; else succeeded file "$file"; fi
  fi
done

status=ok
code=''
if [ "$ok_count" -eq 0 ]; then
  status=error
  code=ALL_SOURCES_FAILED
  if [ "$missing_count" -eq "$failed_count" ]; then code=DEPENDENCY_MISSING; fi
fi

jq -cs --arg status "$status" --arg code "$code" --arg since "$since" --arg since_time "$since_time" \
  --argjson budget_hit "$budget_hit" '
  def human:
    if . < 1024 then "\(.) B"
    elif . < 1048576 then "\((. * 10 / 1024 + 0.5 | floor) / 10) KiB"
    else "\((. * 10 / 1048576 + 0.5 | floor) / 10) MiB" end;
  . as $sources
  | ($sources | length) as $all
  | ($sources | map(select(.ok)) | length) as $good
  | ($sources | map(.bytes) | add) as $bytes
  | ($sources | map(select(.ok | not) | "\(.kind) \(.name): \(.error)")) as $failures
  | (if $good == $all then "gathered \($all) source\(if $all == 1 then "" else "s" end)"
     else "gathered \($good) of \($all) sources" end
     + " (\($bytes | human)) since \($since)"
     + (if $good < $all then "; \($all - $good) failed" else "" end)) as $summary
  | {status: $status, summary: $summary,
     data: ({since: $since, since_time: $since_time, sources: $sources}
            + (if $budget_hit then {total_cap_reached: true} else {} end))}
  + (if $status == "error"
     then {error: {code: $code, message: ("every source failed: " + ($failures | join("; ")))}}
     else {} end)' "$work"/entry.*.json
if [ "$status" = error ]; then exit 1; fi
