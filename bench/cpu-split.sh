#!/usr/bin/env bash
# Where the CPU goes in a produce run: the broker's user and system time against the
# clients', with the broker's own view of the run (Produce requests, group commits, WAL
# fsyncs, bytes written, compaction CPU). The W1 and W3 analyses in docs/benchmarks.md
# come from it.
#
#   bench/cpu-split.sh [--producers N] [--records N] [--record-size B] [--partitions P]
#                      [--peer weir|mock] [--settle SECONDS] [-- k=v ...]
#
# Each of N `weir-producer-perf` processes sends --records records (unthrottled,
# linger.ms=5; the k=v after `--` are more producer properties, e.g. acks=all) to one
# topic of P partitions on a fresh broker (Weir with default settings, or librdkafka's mock
# cluster). --settle waits that long after the producers finish before reading the
# broker's counters, so later flushes and compactions count too. Environment variables of the form WEIR_ENV_X=v reach the broker as X=v.
set -euo pipefail
source "$(dirname "$0")/workload_common.bash"

producers=1 records=1000000 record_size=100 partitions=1 peer=weir settle=0
while (($#)); do
  case $1 in
    --producers) producers=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --record-size) record_size=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --peer) peer=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
ensure_built weir weir-producer-perf mock-cluster

scratch=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$scratch"' EXIT
metrics_port=$(free_port)
if [[ $peer == mock ]]; then
  "$BUILD_DIR/bench/mock-cluster" --topic "t:$partitions" >"$scratch/address" 2>/dev/null &
  server_pid=$!
  until [[ -s $scratch/address ]]; do sleep 0.05; done
  address=$(head -n1 "$scratch/address")
else
  port=$(free_port)
  broker_env=()
  while IFS='=' read -r name value; do
    [[ $name == WEIR_ENV_* ]] && broker_env+=("${name#WEIR_ENV_}=$value")
  done < <(env)
  env BIND_ADDRESS="127.0.0.1:$port" METRICS_BIND_ADDRESS="127.0.0.1:$metrics_port" \
    STORAGE_PATH="$scratch/data" DEFAULT_PARTITIONS="$partitions" "${broker_env[@]}" \
    "$BUILD_DIR/server/weir" >"$scratch/weir.log" 2>&1 &
  server_pid=$!
  wait_for_port "$port"
  address=127.0.0.1:$port
fi

begin=$(date +%s.%N)
for p in $(seq "$producers"); do
  (
    TIMEFORMAT="client $p cpu user %U s sys %S s"
    time "$BUILD_DIR/bench/weir-producer-perf" --topic t --num-records "$records" \
      --record-size "$record_size" --throughput -1 \
      --producer-props bootstrap.servers="$address" linger.ms=5 "$@" | tail -n1
  ) 2>&1 &
done
wait $(jobs -p | grep -v "^$server_pid$")
end=$(date +%s.%N)

awk -v b="$begin" -v e="$end" -v n="$((producers * records * record_size))" \
  'BEGIN { printf "wall %.2f s, %.1f MB/s\n", e - b, n / (e - b) / 1e6 }'
sleep "$settle"
ticks=$(getconf CLK_TCK)
awk -v t="$ticks" -v who="$peer" '{ printf "%s cpu user %.2f s sys %.2f s\n", who, $14 / t, $15 / t }' \
  "/proc/$server_pid/stat"
if [[ $peer == weir ]]; then
  # Disk bytes so far (the WAL and flushed files; later flushes and compactions add more)
  # and the CPU of RocksDB's compaction threads.
  awk '/^write_bytes/ { printf "weir bytes written %.0f MB\n", $2 / 1e6 }' "/proc/$server_pid/io"
  for task in /proc/"$server_pid"/task/*; do
    if [[ $(cat "$task/comm") == rocksdb:low ]]; then cut -d' ' -f14,15 "$task/stat"; fi
  done | awk -v t="$ticks" '{ s += $1 + $2 } END { printf "compaction threads cpu %.2f s\n", s / t }'
  python3 - "$metrics_port" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics").read().decode()
wanted = ("weir_commit_writes_total", "weir_commit_bytes_total", "weir_commit_wal_syncs_total",
          "weir_commit_wal_sync_duration_seconds_sum",
          'weir_request_duration_seconds_count{api="Produce"}',
          'weir_request_duration_seconds_sum{api="Produce"}')
for line in text.splitlines():
    if line.startswith(wanted):
        print(line)
PY
fi
