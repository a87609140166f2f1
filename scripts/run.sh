#!/usr/bin/env bash
# The main command (README): installs what is missing, builds in release mode and starts a node on
# 127.0.0.1:7600 with its data in ./data. Extra arguments go to ringdeskd (see `ringdeskd --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
swift build -c release --product ringdeskd
swift build -c release --product ringdesk
BIN="$(swift build -c release --show-bin-path)"
exec "$BIN/ringdeskd" "$@"
