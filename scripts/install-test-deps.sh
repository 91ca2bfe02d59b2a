#!/usr/bin/env bash
# Install what the test suite needs from Debian's packages, when missing:
# a PostgreSQL server (initdb/pg_ctl), Chromium for the browser tests, and nodejs/npm for the
# single sign-on tests' OpenID Connect provider (tests/support/oidc) and axe-core for the
# accessibility tests (tests/support/axe), both from the npm registry; and wrk, because the suite
# runs the benchmark script once (tests/integration/test_benchmarks_run.py).
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: missing ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
oidc="$(dirname "$0")/../tests/support/oidc"
if [ ! -d "$oidc/node_modules/oidc-provider" ]; then
  echo "install-test-deps: installing the test OIDC provider (npm ci in tests/support/oidc)"
  (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error)
fi
axe="$(dirname "$0")/../tests/support/axe"
if [ ! -f "$axe/node_modules/axe-core/axe.min.js" ]; then
  echo "install-test-deps: installing axe-core (npm ci in tests/support/axe)"
  (cd "$axe" && npm ci --no-audit --no-fund --loglevel=error)
fi
