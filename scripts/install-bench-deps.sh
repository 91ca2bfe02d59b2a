#!/usr/bin/env bash
# Install what `make bench` needs from Debian's packages, when missing: wrk (the load tool of
# benchmarks/load.py).
set -euo pipefail
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-bench-deps: wrk is missing; run as root or apt-get install wrk" >&2
    exit 1
  fi
  echo "install-bench-deps: installing wrk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
