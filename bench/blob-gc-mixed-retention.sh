#!/usr/bin/env bash
# Blob garbage collection with two retentions sharing blob files (docs/storage.md, "Blob
# garbage collection"): topic `short` (retention.ms 10000) gets 7,500 records/s and `long`
# (the default retention) 2,500 records/s, 1 KiB each, 3 partitions each, for 60 s, with a
# retention check every 3 s. Prints the blob files' size every 10 s (or every SECONDS if
# less), the broker's CPU and bytes written, and how many collections ran.
#
#   bench/blob-gc-mixed-retention.sh [SECONDS]
set -euo pipefail
source "$(dirname "$0")/workload_common.bash"
seconds=${1:-60}
ensure_built weir weir-producer-perf

scratch=$(mktemp -d)
trap 'kill "$weir_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$scratch"' EXIT
port=$(free_port)
env DEFAULT_PARTITIONS=3 RETENTION_CHECK_INTERVAL_MS=3000 BIND_ADDRESS="127.0.0.1:$port" \
  STORAGE_PATH="$scratch/data" "$BUILD_DIR/server/weir" >"$scratch/weir.log" 2>&1 &
weir_pid=$!
wait_for_port "$port"
/usr/bin/python3 - "$port" <<'PY'  # Debian's python3-confluent-kafka
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{sys.argv[1]}"})
topics = [NewTopic("short", 3, 1, config={"retention.ms": "10000"}), NewTopic("long", 3, 1)]
for future in admin.create_topics(topics).values():
    future.result()
PY

producers=()
for spec in short:7500 long:2500; do
  topic=${spec%%:*} rate=${spec##*:}
  "$BUILD_DIR/bench/weir-producer-perf" --topic "$topic" --num-records $((rate * seconds)) \
    --record-size 1024 --throughput "$rate" \
    --producer-props bootstrap.servers="127.0.0.1:$port" acks=1 linger.ms=5 >/dev/null &
  producers+=($!)
done
blob_megabytes() {
  { du -cm "$scratch"/data/*.blob 2>/dev/null || true; } | awk 'END { print $1 + 0 }'
}
samples=()
while kill -0 "${producers[0]}" 2>/dev/null || kill -0 "${producers[1]}" 2>/dev/null; do
  sleep $((seconds < 10 ? seconds : 10))
  samples+=("$(blob_megabytes)")
done
wait "${producers[@]}"
ticks=$(getconf CLK_TCK)
echo "blob files every $((seconds < 10 ? seconds : 10)) s (MB): ${samples[*]}"
echo "blob files at the end: $(blob_megabytes) MB of $((10000 * seconds * 1024 / 1000000)) MB appended"
awk -v t="$ticks" '{ printf "broker cpu %.1f s\n", ($14 + $15) / t }' "/proc/$weir_pid/stat"
awk '/^write_bytes/ { printf "broker bytes written %.0f MB\n", $2 / 1e6 }' "/proc/$weir_pid/io"
echo "collections: $(grep -c 'collected blob garbage' "$scratch/weir.log" || true)"
