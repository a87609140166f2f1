#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, runs every test.
# Tests start their own servers on loopback ports the kernel picks and stop them by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build --parallel --num-workers 2
# Replays the committed fuzz corpus through the server's input path (a regression check; the
# bounded libFuzzer run itself is scripts/fuzz/h2-server).
SWIFT_DETERMINISTIC_HASHING=1 "$(swift build --show-bin-path)/ringdesk-fuzz-h2" Tests/fuzz-corpus/h2-server
