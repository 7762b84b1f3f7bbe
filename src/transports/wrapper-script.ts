/** Exit code the wrapper uses for its own failures (staging the plugin), distinct from the plugin's. */
export const WRAPPER_SETUP_EXIT = 125;

/** Exit code of a run the node-side timeout ended (TERM or, after the grace, KILL), as `timeout` uses. */
export const WRAPPER_TIMED_OUT_EXIT = 124;

/** How many of the processes a plugin left behind the wrapper names (the count is always exact). */
const NAMED_LEFTOVERS = 10;

/**
 * The stderr line (the wrapper's last) naming what the plugin left running and the wrapper stopped:
 * `rune: the plugin left 2 processes running after it exited; RUNE stopped them: 4242 sleep, 4250 python3`.
 */
const LEFTOVERS_LINE =
  /^rune: (the plugin left (\d+) process(?:es)? running after it exited; RUNE stopped (?:it|them): .*)$/m;

/** The wrapper's report of stopped leftovers in a run's stderr, as one sentence; null when there was none. */
export function leftoverReport(stderr: string): string | null {
  const lines = stderr.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = LEFTOVERS_LINE.exec(lines[i] as string);
    if (m) return m[1] as string;
  }
  return null;
}

/**
 * `scan FILE…` lists the live processes of session `$child` among the /proc stat files given, one
 * `pid comm` a line, the name cut to a safe alphabet (a process names itself); a thread (its
 * /proc/TID is there too, though not listed) counts as its process (Tgid). awk reads them in one
 * process, and getline skips a process that exits meanwhile (mawk stops at a file argument it
 * cannot open).
 */
const SCAN = `scan() {
  awk -v s="$child" 'BEGIN {
    for (i = 1; i < ARGC; i++) {
      f = ARGV[i]
      if ((getline l < f) <= 0) continue
      while (l !~ /\\) [A-Za-z] -?[0-9]+ -?[0-9]+ -?[0-9]+/ && (getline m < f) > 0) l = l "_" m
      close(f)
      r = l; sub(/.*\\) /, "", r)
      if (split(r, a, " ") < 4 || a[4] != s || a[1] == "Z" || a[1] == "X") continue
      c = l; sub(/^[^(]*\\(/, "", c); sub(/\\) [^)]*$/, "", c); gsub(/[^A-Za-z0-9._+:@-]/, "_", c)
      p = f; sub(/^\\/proc\\//, "", p); sub(/\\/stat$/, "", p)
      t = p; st = "/proc/" p "/status"
      while ((getline x < st) > 0) if (x ~ /^Tgid:/) { split(x, b, /[ \\t]+/); t = b[2]; break }
      close(st)
      if (!(t in seen)) { seen[t] = 1; print t " " c }
    }
  }' "$@" 2>/dev/null
}`;

/**
 * After the plugin's own process has exited, whatever is left in its session (its process group and
 * any group it made, e.g. job control) gets TERM, up to 1 s to go, then KILL (repeated while
 * something new shows up); the count and the first few are reported on stderr. The session is the
 * plugin's own (setsid), so nothing else on the node is touched.
 *
 * Reading every /proc/N/stat costs milliseconds on a busy node, so a run that left nothing reads
 * few or none: its process group is asked first (`kill -0`, no cost); else only processes born
 * since the plugin started can be in its session: pids above its own up to the last one handed out
 * (/proc/loadavg; each looked up when they are few, else picked from the /proc listing), or
 * outside (last, plugin] when pid numbers wrapped around meanwhile. (A whole cycle of pid numbers
 * during one run is not caught: it takes pid_max forks.)
 */
const STOP_LEFTOVERS = `if [ -n "$sid" ] && command -v awk >/dev/null 2>&1; then
  ${SCAN}
  last=; { read -r _ _ _ _ last </proc/loadavg; } 2>/dev/null
  if kill -s 0 -- "-$child" 2>/dev/null || ! [ "\${last:-0}" -gt 0 ] 2>/dev/null; then
    set -- /proc/[0-9]*/stat
  elif [ "$last" -ge "$child" ] && [ $((last - child)) -le 256 ]; then
    set --; p=$child
    while [ "$p" -lt "$last" ]; do p=$((p + 1)); if [ -e "/proc/$p" ]; then set -- "$@" "/proc/$p/stat"; fi; done
  else
    set --
    for f in /proc/[0-9]*; do
      p=\${f#/proc/}
      if [ "$last" -ge "$child" ]; then
        if [ "$p" -gt "$child" ] && [ "$p" -le "$last" ]; then set -- "$@" "$f/stat"; fi
      elif [ "$p" -gt "$child" ] || [ "$p" -le "$last" ]; then set -- "$@" "$f/stat"; fi
    done 2>/dev/null
  fi
  left=
  if [ $# -gt 0 ] && { ! scan "$@" >"$d/left" || [ -s "$d/left" ]; } 2>/dev/null; then
    left=$(scan /proc/[0-9]*/stat)
  fi
  if [ -n "$left" ]; then
    kill -s TERM -- "-$child" 2>/dev/null
    set -- $left
    left=" $* "
    while [ $# -ge 2 ]; do kill -s TERM "$1" 2>/dev/null; shift 2; done
    i=0
    while [ $i -lt 10 ] && [ -n "$(scan /proc/[0-9]*/stat)" ]; do sleep 0.1; i=$((i + 1)); done
    i=0
    while [ $i -lt 5 ] && more=$(scan /proc/[0-9]*/stat) && [ -n "$more" ]; do
      kill -s KILL -- "-$child" 2>/dev/null
      set -- $more
      while [ $# -ge 2 ]; do
        kill -s KILL "$1" 2>/dev/null
        case "$left" in *" $1 "*) ;; *) left="$left$1 $2 " ;; esac
        shift 2
      done
      i=$((i + 1))
      sleep 0.1
    done
    set -- $left
    n=$(($# / 2)); k=0; named=
    while [ $# -ge 2 ]; do
      k=$((k + 1))
      if [ $k -le ${NAMED_LEFTOVERS} ]; then named="\${named:+$named, }$1 $2"; fi
      shift 2
    done
    if [ "$n" -gt ${NAMED_LEFTOVERS} ]; then named="$named, ..."; fi
    if [ "$n" -eq 1 ]; then w='1 process running after it exited; RUNE stopped it'
    else w="$n processes running after it exited; RUNE stopped them"; fi
    echo "rune: the plugin left $w: $named" >&2
  fi
fi`;

/** Centiseconds since boot from /proc/uptime into $now (empty without it): builtins only, no fork. */
const CLOCK = `tick() {
  now=; { read -r now _ </proc/uptime; } 2>/dev/null
  case "$now" in [0-9]*.[0-9][0-9]) f=\${now#*.}; now=$((\${now%.*} * 100 + \${f#0})) ;; *) now= ;; esac
}`;

/** Signals the shell turns into what it runs: TERM and INT stop it (RUNE cancelling); HUP does not. */
const TRAPS = `child=
trap 'if [ -z "$child" ]; then exit 129; fi' HUP
trap 'if [ -n "$child" ]; then kill -s TERM "$child" 2>/dev/null; else exit 130; fi' INT
trap 'if [ -n "$child" ]; then kill -s TERM "$child" 2>/dev/null; else exit 143; fi' TERM`;

/** Runs "$@" as a background job fed this shell's stdin (through fd 3), and waits for it into $rc. */
const LAUNCH_AND_WAIT = `exec 3<&0
"$@" <&3 3<&- &
child=$!
exec 3<&- 0</dev/null
rc=0
wait "$child" || rc=$?
while kill -s 0 "$child" 2>/dev/null; do rc=0; wait "$child" || rc=$?; done`;

/**
 * The part that runs the staged plugin "$d/plugin" (as root under `sudo -n` when it must): in a
 * session of its own (`setsid`) under `timeout -k`, then stops what it left behind and says so.
 */
function superviseScript(o: { seconds: string; killAfter: number; timeoutCs: number }): string {
  return `set -- "$d/plugin"
tmo=; if command -v timeout >/dev/null 2>&1; then set -- timeout -k ${o.killAfter} ${o.seconds} "$@"; tmo=1; fi
sid=; if command -v setsid >/dev/null 2>&1; then set -- setsid "$@"; sid=1; fi
${CLOCK}
tick; t0=$now
${LAUNCH_AND_WAIT}
tick
if [ -n "$tmo" ] && [ -n "$t0" ] && [ -n "$now" ] && [ $((now - t0)) -ge ${o.timeoutCs} ]; then
  case "$rc" in 124 | 137) rc=${WRAPPER_TIMED_OUT_EXIT} ;; esac
fi
${STOP_LEFTOVERS}
exit "$rc"
`;
}

/**
 * Builds the POSIX sh script that runs a plugin on a node (SSH, local; SSM wraps the same text).
 *
 * Only RUNE-controlled text goes into it: fixed shell, the plugin file as base64 (alphabet
 * [A-Za-z0-9+/=], so it cannot break out of its quotes) and integers. Params, labels and the
 * rest of the payload never appear here: they reach the plugin on stdin.
 *
 * - umask 077 + mktemp -d: the staged file is private; the EXIT trap removes it whatever happens.
 * - `setsid`: the plugin leads a session and process group of its own, so what it starts can be
 *   found and stopped without touching anything else on the node (or the SSM Agent's session).
 * - `timeout -k`: the node itself ends a plugin that overruns (TERM, then KILL to its whole
 *   process group), so a hung plugin dies even if RUNE's connection is gone.
 * - A run ends when the plugin's own process exits: `wait` returns then, and whatever it left in its
 *   session (a background child still holding stdout would keep the SSH channel or local pipe open)
 *   gets TERM, then KILL, and is named on stderr (`leftoverReport`).
 * - Timed out: `timeout` exits 124, or 137 when its KILL was needed (a plugin ignoring TERM); that
 *   137 is told from a plugin's own death by KILL by the clock (/proc/uptime, 10 ms) and becomes 124.
 * - become: `sudo -n` (never prompts) only when the remote user is not already root; the part that
 *   runs and stops the plugin runs under it, as root, so it can stop what a root plugin left.
 * - cancel: the plugin runs as a background job the shell waits for, so a TERM or INT sent to the
 *   shell (RUNE cancelling the run: SSH `signal` request, or a local kill) interrupts the wait at
 *   once and is passed on (to sudo, which relays it, then) to `timeout`, which passes it to the
 *   plugin's group (and KILLs it after the grace). A background job's stdin would be /dev/null, so
 *   the payload reaches it through fd 3. A HUP (session gone) does not stop a running plugin:
 *   `timeout` still bounds it.
 */
export function buildWrapperScript(opts: {
  script: Buffer;
  timeoutMs: number;
  become: boolean;
  killGraceMs: number;
}): string {
  const b64 = opts.script.toString('base64');
  const timeoutMs = Math.max(opts.timeoutMs, 1);
  const seconds = (timeoutMs / 1000).toFixed(3);
  const killAfter = Math.max(1, Math.round(opts.killGraceMs / 1000));
  const supervise = superviseScript({ seconds, killAfter, timeoutCs: Math.floor(timeoutMs / 10) });
  const setupFailed = (what: string) => `{ echo "rune: ${what}" >&2; exit ${WRAPPER_SETUP_EXIT}; }`;
  const cannotStage = setupFailed('cannot stage the plugin (base64 missing or disk full?)');
  // become: the supervising part runs as a script of its own, under sudo unless already root (as
  // root, so it can stop what a root plugin left), with its own traps (sudo relays TERM to it).
  const run = opts.become
    ? `set -- /bin/sh -c ${shSingleQuote(`set -u\nd=$1\n${TRAPS}\n${supervise}`)} rune-plugin "$d"
if [ "$(id -u)" -ne 0 ]; then set -- sudo -n -- "$@"; fi
${LAUNCH_AND_WAIT}
exit "$rc"
`
    : supervise;
  return `set -u
umask 077
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH
d=$(mktemp -d "\${TMPDIR:-/tmp}/rune.XXXXXXXXXX") || ${setupFailed('mktemp failed on this node')}
trap 'rm -rf "$d"' EXIT
${TRAPS}
printf '%s' '${b64}' | base64 -d > "$d/plugin" || ${cannotStage}
chmod 700 "$d/plugin"
${run}`;
}

/** Quotes a RUNE-built script for `sh -c '…'` (single quotes, with ' closed and escaped). */
export function shSingleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
