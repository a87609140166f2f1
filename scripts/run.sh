#!/usr/bin/env bash
# The main command (README): installs what is missing, builds in release mode, starts a node on
# 127.0.0.1:7600 with its data in ./data, plays a short scripted after-sales demo against it
# (agents, a burst of tickets of every category, offers, resolutions, ratings, KPIs; at the end the
# demo agents go offline, so the README tour's agent gets the next ticket), then keeps the node
# running until Ctrl-C. `--no-demo` skips the demo; other arguments go to ringdeskd.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
demo=1
args=()
for arg in "$@"; do
  if [ "$arg" = "--no-demo" ]; then demo=0; else args+=("$arg"); fi
done
bash scripts/setup.sh
swift build -c release --product ringdeskd
swift build -c release --product ringdesk
BIN="$(swift build -c release --show-bin-path)"

"$BIN/ringdeskd" "${args[@]}" &
node=$!
trap 'kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true' EXIT INT TERM
port=7600
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[$i]}" = "--port" ] && port="${args[$((i + 1))]}"; done
export RINGDESK_NODE="127.0.0.1:$port"
ready=0
for _ in $(seq 1 200); do
  if "$BIN/ringdesk" health >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$node" 2>/dev/null || { echo "ringdeskd exited; see the messages above" >&2; exit 1; }
  sleep 0.05
done
[ "$ready" = 1 ] || { echo "ringdeskd did not become ready" >&2; exit 1; }
if [ "$demo" = 1 ]; then
  "$BIN/ringdesk" demo
fi
echo
echo "Node running at http://$RINGDESK_NODE (h2c). Try: $BIN/ringdesk kpis   |   Ctrl-C stops it."
wait "$node"
