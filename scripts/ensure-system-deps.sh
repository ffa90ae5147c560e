#!/bin/sh
# System packages the tests use beyond Node: iproute2 (`ip`) for the XDP
# test's network namespaces. Run before `npm test` (the pretest script).
# As root on a Debian-like system it installs what is missing with apt-get;
# otherwise it only says what is missing, and the tests that need it say
# why they skip.
set -eu

missing=""
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || command -v ip >/dev/null 2>&1 || missing="$missing iproute2"

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update >/dev/null
    apt-get install -y --no-install-recommends $missing >/dev/null
  }
else
  echo "ensure-system-deps: missing$missing (not root or no apt-get: not installing)"
fi
