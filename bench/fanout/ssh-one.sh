#!/bin/sh
# One OpenSSH run of the plugin on one node, for bench/fanout/run.js (through xargs -P, or a loop).
# Usage: ssh-one.sh ADDRESS [TAG]
# Env: BENCH_KEY BENCH_KH BENCH_PORT BENCH_USER BENCH_CMDFILE BENCH_PAYLOAD BENCH_OUT [BENCH_KEX_ALGORITHMS]
# The remote command is the exact text RUNE sends (`exec /bin/sh -c '<wrapper>'`), read from
# BENCH_CMDFILE and passed as ONE argument, so ssh hands it to the remote shell unchanged; the
# JSON payload goes on stdin, as RUNE does. A fresh connection every time: no config file, no
# ControlMaster, no agent. BENCH_KEX_ALGORITHMS, when set, is the only key exchange offered (-o KexAlgorithms).
addr=$1
tag=${2:-$1}
kex=
[ -n "${BENCH_KEX_ALGORITHMS:-}" ] && kex="-oKexAlgorithms=$BENCH_KEX_ALGORITHMS"
ssh -F /dev/null -T ${kex:+"$kex"} -i "$BENCH_KEY" -o IdentitiesOnly=yes -o IdentityAgent=none \
  -o UserKnownHostsFile="$BENCH_KH" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
  -o BatchMode=yes -o ControlMaster=no -o ControlPath=none -o ConnectTimeout=30 -o LogLevel=ERROR \
  -p "$BENCH_PORT" "$BENCH_USER@$addr" "$(cat "$BENCH_CMDFILE")" \
  < "$BENCH_PAYLOAD" > "$BENCH_OUT/$tag.out" 2> "$BENCH_OUT/$tag.err"
rc=$?
echo "$rc" > "$BENCH_OUT/$tag.rc"
# xargs stops everything when a command exits 255 (ssh's own failures): report 1 so every node runs.
[ "$rc" -eq 255 ] && exit 1
exit "$rc"
