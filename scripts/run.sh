#!/usr/bin/env bash
# The main command (README): installs what is missing, builds in release mode, and starts a local
# 3-node Ringdesk cluster on loopback (127.0.0.1:7600, :7601, :7602; configs in cluster/local/, data
# in ./data/node-N, logs in ./data/node-N.log). Every node keeps the tickets in 64 Raft shards
# replicated on all three (embedded SQLite), and any node serves every route. Then it plays the
# scripted after-sales demo across the cluster: agents on node 1, tickets created through all three
# nodes in turn; mid-demo node 3 is killed with SIGKILL and restarted, and at the end every node
# must list the same tickets, none lost (scripts/clients/cluster_check.py). The nodes keep running
# until Ctrl-C.
#
#   scripts/run.sh                 the cluster, with the demo
#   scripts/run.sh --no-demo       the cluster only
#   scripts/run.sh --single [args] one node on 127.0.0.1:7600 with data in ./data (the earlier main
#                                  command; other arguments go to ringdeskd)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
demo=1
single=0
args=()
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    --single) single=1 ;;
    *) args+=("$arg") ;;
  esac
done
if [ "$single" = 0 ] && [ "${#args[@]}" -gt 0 ]; then
  echo "run.sh: ${args[*]}: ringdeskd arguments go with --single (the cluster reads cluster/local/node-N.json)" >&2
  exit 2
fi
bash scripts/setup.sh
swift build -c release --product ringdeskd
swift build -c release --product ringdesk
BIN="$(swift build -c release --show-bin-path)"

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT INT TERM

# Polls `ringdesk health` (up and ready) on $1 while process $2 lives, at most $3 seconds.
wait_ready() {
  local address=$1 pid=$2 seconds=$3
  for _ in $(seq 1 $((seconds * 20))); do
    if "$BIN/ringdesk" health --node "$address" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "ringdeskd at $address exited; see the messages above" >&2; return 1; }
    sleep 0.05
  done
  echo "ringdeskd at $address did not become ready within $seconds s" >&2
  return 1
}

if [ "$single" = 1 ]; then
  "$BIN/ringdeskd" "${args[@]}" &
  pids+=($!)
  port=7600
  for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[$i]}" = "--port" ] && port="${args[$((i + 1))]}"; done
  export RINGDESK_NODE="127.0.0.1:$port"
  wait_ready "$RINGDESK_NODE" "${pids[0]}" 10
  if [ "$demo" = 1 ]; then "$BIN/ringdesk" demo; fi
  echo
  echo "Node running at http://$RINGDESK_NODE (h2c). Try: $BIN/ringdesk kpis   |   Ctrl-C stops it."
  wait "${pids[0]}"
  exit 0
fi

nodes=(127.0.0.1:7600 127.0.0.1:7601 127.0.0.1:7602)
mkdir -p data
start_node() {
  local n=$1
  "$BIN/ringdeskd" --config "cluster/local/node-$n.json" >>"data/node-$n.log" 2>&1 &
  pids[$((n - 1))]=$!
}
for n in 1 2 3; do start_node "$n"; done
for n in 1 2 3; do wait_ready "${nodes[$((n - 1))]}" "${pids[$((n - 1))]}" 120; done
export RINGDESK_NODE="${nodes[0]}"
echo "Cluster ready: ${nodes[*]} (64 ticket shards, 3 replicas each)."
"$BIN/ringdesk" cluster status | tail -n 4 || true

if [ "$demo" = 1 ]; then
  tickets=60
  "$BIN/ringdesk" demo --tickets "$tickets" --deadline 120 --intake "${nodes[1]},${nodes[2]}" &
  demo_pid=$!
  # Mid-demo: node 3 dies without warning, then comes back and catches up from the others.
  sleep 2
  echo ">>> kill -9 node 3 (pid ${pids[2]})"
  kill -9 "${pids[2]}" 2>/dev/null || true
  wait "${pids[2]}" 2>/dev/null || true
  sleep 3
  echo ">>> restarting node 3"
  start_node 3
  wait_ready "${nodes[2]}" "${pids[2]}" 120
  echo ">>> node 3 is back"
  demo_status=0
  wait "$demo_pid" || demo_status=$?
  echo
  echo "Every node lists the same tickets, and every demo ticket exists:"
  python3 scripts/clients/cluster_check.py --nodes "$(IFS=,; echo "${nodes[*]}")" --expect-keys "demo-7-:1-$tickets"
  [ "$demo_status" = 0 ] || { echo "the demo did not complete (status $demo_status)" >&2; exit "$demo_status"; }
fi
echo
echo "Cluster running at ${nodes[*]} (h2c). Try: $BIN/ringdesk kpis   |   $BIN/ringdesk cluster status   |   Ctrl-C stops it."
wait "${pids[0]}"
