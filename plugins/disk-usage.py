#!/usr/bin/env python3
# ---
# name: disk-usage
# version: 1.0.0
# description: Report the disk usage of mount points (read-only; an example of a Python plugin)
# mutating: false
# timeout: 30s
# become: false
# params:
#   type: object
#   additionalProperties: false
#   properties:
#     paths:
#       type: array
#       minItems: 1
#       maxItems: 64
#       items: {type: string, minLength: 1, maxLength: 4096}
#       default: ["/"]
#       description: Paths whose file system is measured (any path inside a mount point works)
#     warn_percent:
#       type: integer
#       minimum: 1
#       maximum: 100
#       default: 90
#       description: The summary warns about every path used at or above this percentage
# ---
# Output data: {warn_percent, over_threshold: [paths], paths: [{path, total_bytes, used_bytes,
# free_bytes, used_percent} | {path, error}]}. used_percent is computed like df: used / (used +
# available to unprivileged users). A path that cannot be measured is reported with its error;
# status is error (ALL_PATHS_FAILED) only when no path could be measured.
# Error codes: INVALID_INPUT, INVALID_PARAMS, ALL_PATHS_FAILED. Standard library only.
import json
import os
import sys

DEFAULTS = {"paths": ["/"], "warn_percent": 90}


def emit(obj, code=0):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def fail(code, message, data=None):
    emit({"status": "error", "summary": " ".join(message.splitlines()), "data": data or {},
          "error": {"code": code, "message": message}}, 1)


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0
    return str(n)


def read_params(payload):
    """Defensive check of params (RUNE validated them already); null counts as missing."""
    params = payload.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        fail("INVALID_PARAMS", "params must be an object, got %s" % type(params).__name__)
    problems = ["unknown param %s" % json.dumps(k) for k in sorted(params) if k not in DEFAULTS]
    paths = params.get("paths")
    if paths is None:
        paths = DEFAULTS["paths"]
    elif not isinstance(paths, list) or not 1 <= len(paths) <= 64:
        problems.append("paths must be an array of 1 to 64 strings")
    else:
        for p in paths:
            if not isinstance(p, str) or not 1 <= len(p) <= 4096 or "\x00" in p:
                problems.append("paths: %s is not a path" % json.dumps(p))
    warn = params.get("warn_percent")
    if warn is None:
        warn = DEFAULTS["warn_percent"]
    elif (isinstance(warn, bool) or not isinstance(warn, (int, float))
          or (isinstance(warn, float) and not warn.is_integer()) or not 1 <= warn <= 100):
        problems.append("warn_percent must be an integer from 1 to 100, got %s" % json.dumps(warn))
    if problems:
        fail("INVALID_PARAMS", "; ".join(problems))
    return paths, int(warn)


def measure(path):
    try:
        st = os.statvfs(path)
    except OSError as err:
        return {"path": path, "error": err.strerror or str(err)}
    total = st.f_blocks * st.f_frsize
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    avail = st.f_bavail * st.f_frsize
    percent = round(100.0 * used / (used + avail), 1) if used + avail > 0 else 0.0
    return {"path": path, "total_bytes": total, "used_bytes": used, "free_bytes": avail,
            "used_percent": percent}


def main():
    try:
        payload = json.loads(sys.stdin.read())
    except ValueError:
        fail("INVALID_INPUT", "stdin must hold exactly one JSON object (the rune.plugin/v1 input)")
    if not isinstance(payload, dict):
        fail("INVALID_INPUT", "stdin must hold exactly one JSON object (the rune.plugin/v1 input)")
    paths, warn = read_params(payload)

    entries = [measure(p) for p in paths]
    good = [e for e in entries if "error" not in e]
    over = [e["path"] for e in good if e["used_percent"] >= warn]
    data = {"warn_percent": warn, "over_threshold": over, "paths": entries}
    if not good:
        fail("ALL_PATHS_FAILED", "no path could be measured: " +
             "; ".join("%s: %s" % (e["path"], e["error"]) for e in entries), data)

    fullest = max(good, key=lambda e: e["used_percent"])
    summary = "fullest: %s at %.1f%% (%s free)" % (fullest["path"], fullest["used_percent"],
                                                    human(fullest["free_bytes"]))
    if over:
        summary = "WARNING: %s at or above %d%%; %s" % (", ".join(over), warn, summary)
    failed = len(entries) - len(good)
    if failed:
        summary += "; %d path%s could not be measured" % (failed, "" if failed == 1 else "s")
    emit({"status": "ok", "summary": " ".join(summary.splitlines()), "data": data})


if __name__ == "__main__":
    main()
