#!/usr/bin/env bash
# W6: W6_PRODUCERS (10,000) connections producing one record a second each, plus
# W6_IDLE (40,000) idle connections, for W6_SECONDS (30), against a Release broker on a
# fresh data folder. Target: all served, p99 produce latency <= 20 ms, broker RSS per
# idle connection <= 16 KiB.
#
# The broker's per-address limit and connection rate limit are raised for the run, and
# its idle timeout is longer than the run. Broker and client each need a descriptor per
# connection: the script raises `ulimit -n` as far as the hard limit allows and, if that
# is still too low, opens fewer idle connections (said on stderr; the RESULT line shows
# the number opened).
set -euo pipefail
source "$(dirname "$0")/../workload_common.bash"
ensure_built weir weir-conn-storm

producers=${W6_PRODUCERS:-10000}
idle=${W6_IDLE:-40000}
seconds=${W6_SECONDS:-30}
spare=512  # the broker's own files (RocksDB, listeners) and the client's
wanted=$((producers + idle + spare))
ulimit -n "$wanted" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
limit=$(ulimit -n)
if ((wanted > limit)); then
  idle=$((limit - producers - spare))
  echo "w6: open-file limit is $limit (hard $(ulimit -Hn)): opening $idle idle connections, not ${W6_IDLE:-40000}" >&2
  ((idle >= 0)) || { echo "w6: too few descriptors even for the producers" >&2; exit 1; }
fi

data=$(mktemp -d)
port=$(free_port)
broker_pid=
cleanup() {
  [[ -n $broker_pid ]] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

BIND_ADDRESS=127.0.0.1:$port STORAGE_PATH=$data WEIR_LOG_LEVEL=warn \
  MAX_CONNECTIONS=$((producers + idle + 16)) MAX_CONNECTIONS_PER_IP=$((producers + idle + 16)) \
  CONNECTION_RATE_LIMIT=0 IDLE_TIMEOUT_SECS=$((seconds + 600)) \
  "$BUILD_DIR/server/weir" >&2 &
broker_pid=$!
wait_for_port "$port"
echo "w6: load average before $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BUILD_DIR/bench/weir-conn-storm" --port "$port" --producers "$producers" --idle "$idle" \
  --seconds "$seconds" --broker-pid "$broker_pid" --workload w6-conn-storm >"$data/out" || status=$?
cat "$data/out" >&2
echo "w6: load average after $(cut -d' ' -f1-3 /proc/loadavg)" >&2
grep '^RESULT ' "$data/out"
exit "${status:-0}"
