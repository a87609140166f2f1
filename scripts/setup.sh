#!/usr/bin/env bash
# Installs what Ringdesk needs on a fresh Debian 12 machine with Swift at /opt/swift:
# the C libraries it links (libnghttp2, libsqlite3), the independent HTTP/2 peers used by the
# interop tests and benchmarks (nghttp, h2load, nghttpd, curl), headless Chromium for the dashboard
# test, and the Python packages (h2, httpx for the clients; websocket-client to drive Chromium;
# schemathesis for the API fuzz run).
# Safe to run again: it installs only what is missing.
set -euo pipefail

need_apt=()
for pkg in libnghttp2-dev libsqlite3-dev sqlite3 nghttp2-client nghttp2-server curl chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! python3 -c 'import h2, httpx, websocket' 2>/dev/null; then
  echo "setup: installing Python packages h2, httpx[http2], websocket-client" >&2
  python3 -m pip install -q 'h2>=4' 'httpx[http2]>=0.27' 'websocket-client>=1.6'
fi

# The routing simulator's offline optimum (scripts/sim/optimum.py) solves LPs with HiGHS via scipy.
if ! python3 -c 'import scipy.optimize' 2>/dev/null; then
  echo "setup: installing Python package scipy" >&2
  python3 -m pip install -q 'scipy>=1.11'
fi

# The API fuzz run (scripts/chaos/api-fuzz) drives Schemathesis; pinned, because the run reads its
# CLI flags and its JSON report.
SCHEMATHESIS_VERSION=4.32.5
if ! python3 -c "import sys, schemathesis; sys.exit(schemathesis.__version__ != '$SCHEMATHESIS_VERSION')" 2>/dev/null; then
  echo "setup: installing Python package schemathesis==$SCHEMATHESIS_VERSION" >&2
  python3 -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "setup: swift is at /opt/swift/usr/bin; add it to PATH" >&2
  else
    echo "setup: Swift 6 toolchain not found (expected /opt/swift)" >&2
    exit 1
  fi
fi
