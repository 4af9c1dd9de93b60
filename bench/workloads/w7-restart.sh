#!/usr/bin/env bash
# W7: restart with W7_MEGABYTES (10,240 = 10 GiB) in W7_PARTITIONS (1,000) partitions.
# Fills a fresh data folder through the Store API (weir-fill-store: unsynced, 64 KiB
# batches round-robin over the partitions, memtables flushed at the end), starts a
# Release broker on it and stops it with SIGTERM, then starts it again and measures, from
# the exec, the first Fetch that returns the last batch of the last partition and the
# first 200 from /ready. Target: <= 1 s. The data folder is deleted afterwards.
set -euo pipefail
source "$(dirname "$0")/../workload_common.bash"
ensure_built weir weir-fill-store weir-restart-probe

megabytes=${W7_MEGABYTES:-10240}
partitions=${W7_PARTITIONS:-1000}
data_parent=${W7_DATA_PARENT:-${TMPDIR:-/tmp}}
# The fill writes the data, its WAL and compaction output: ask for 2.5x its size.
free_mb=$(df -Pm "$data_parent" | awk 'NR == 2 {print $4}')
if ((free_mb < megabytes * 5 / 2)); then
  echo "w7: $data_parent has $free_mb MB free; $((megabytes * 5 / 2)) MB needed" >&2
  exit 1
fi
data=$(mktemp -d "$data_parent/weir-w7.XXXXXX")
trap 'rm -rf "$data"' EXIT

echo "w7: filling $megabytes MB over $partitions partitions (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
fill=$("$BUILD_DIR/bench/weir-fill-store" --path "$data/db" --topic restart --partitions "$partitions" \
  --megabytes "$megabytes")
last_offset=${fill##*last_offset=}
echo "w7: $(du -sh "$data/db" | cut -f1) on disk, $fill" >&2

probe() {
  local port metrics_port
  port=$(free_port)
  metrics_port=$(free_port)
  BIND_ADDRESS=127.0.0.1:$port METRICS_BIND_ADDRESS=127.0.0.1:$metrics_port STORAGE_PATH=$data/db \
    WEIR_LOG_LEVEL=warn "$BUILD_DIR/bench/weir-restart-probe" --port "$port" --metrics-port "$metrics_port" \
    --topic restart --partition $((partitions - 1)) --offset "$last_offset" --workload w7-restart \
    -- "$BUILD_DIR/server/weir"
}
# The first start opens the folder the fill tool closed; the second is the broker's own
# restart after a SIGTERM, the case the target is about.
first=$(probe)
echo "w7: first start: $first" >&2
echo "w7: load average before the restart $(cut -d' ' -f1-3 /proc/loadavg)" >&2
restart=$(probe)
echo "$restart" >&2
grep '^RESULT ' <<<"$restart" | sed "s/\$/ partitions=$partitions megabytes=$megabytes/"
grep -q 'ok=1' <<<"$restart"
