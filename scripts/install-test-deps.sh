#!/usr/bin/env bash
# Installs what the test suite needs besides npm packages (Debian/Ubuntu, as root):
# OpenSSH's sshd (the tests start a real one on loopback), shellcheck (plugins are linted),
# jq (the core plugins parse their input with it), sudo (become: true is tested for real) and
# promtool from Debian's prometheus package (examples/prometheus-rules.yaml is checked with it;
# test/scenarios/close-the-loop.test.ts starts its prometheus on loopback for verify.query),
# amtool from Debian's prometheus-alertmanager package (every Alertmanager snippet in README.md and
# docs/ is checked with `amtool check-config`, test/docs/alertmanager-snippets.test.ts; the
# close-the-loop scenarios start its prometheus-alertmanager on loopback),
# chromium (the dashboard's browser tests drive /usr/bin/chromium with playwright-core),
# postgresql (the Store contract and high-availability tests start their own cluster on 127.0.0.1;
# the package is told not to create and start one of its own).
set -euo pipefail
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v jq >/dev/null || missing+=(jq)
command -v sudo >/dev/null || missing+=(sudo)
command -v python3 >/dev/null || missing+=(python3)
{ command -v promtool >/dev/null && [ -x /usr/bin/prometheus ]; } || missing+=(prometheus)
{ command -v amtool >/dev/null && [ -x /usr/bin/prometheus-alertmanager ]; } || missing+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
  missing+=(postgresql)
  if [ "$(id -u)" -eq 0 ] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
  fi
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's openssh-server package starts nothing here, but sshd needs its privilege-separation dir.
mkdir -p /run/sshd
echo "install-test-deps: sshd, ssh-keygen, shellcheck, jq, sudo, python3, prometheus, promtool, alertmanager, amtool, chromium, postgresql present"
