#!/bin/sh
# System packages the tests use beyond Node: iproute2 (`ip`) for the XDP
# test's network namespaces, and Chromium for the browser tests
# (test/browser/: the core and its JIT run in a real browser page). Run
# before `npm test` (the pretest script). As root on a Debian-like system it
# installs what is missing with apt-get; otherwise it only says what is
# missing (or what it could not install), and the tests that need it say
# why they skip.
set -eu

missing=""
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
[ -n "${CHROMIUM:-}" ] || [ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ] || [ -x /usr/bin/google-chrome ] || [ -x /usr/bin/google-chrome-stable ] || missing="$missing chromium"

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  # A package that cannot be installed (no network) is said, not fatal: its tests skip and say why.
  apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update >/dev/null 2>&1 || true
    apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || echo "ensure-system-deps: could not install$missing"
  }
else
  echo "ensure-system-deps: missing$missing (not root or no apt-get: not installing)"
fi
