#!/usr/bin/env bash
# The benchmark suite of docs/benchmarks.md in one command:
#
#   bench/run.sh [--quick] [--workloads W1,W2,...] [--repeat N] [--no-build] [--no-docs]
#
# Builds the release preset, then for each workload starts a fresh broker on a temporary
# data folder (and a fresh librdkafka mock cluster as the peer where the workload has
# one), drives both with the tools in bench/, and prints a table of Weir against the peer
# (ratios from the same run). The full run writes the table, the machine and its load
# average into docs/benchmarks.md between the "bench/run.sh results" markers, and plots
# throughput and latency over time per workload (gnuplot, PNG) into docs/benchmarks/.
#
#   --quick        10x fewer records; writes nothing into docs/ (a smoke test)
#   --workloads    comma-separated subset of W1 W2 W3 W4 W5 W8 and of the hook workloads
#   --repeat N     runs of each throughput workload per side, alternating; the best counts
#                  (default 3, 1 with --quick)
#   --no-build     use the binaries already in build/release
#   --no-docs      leave docs/ alone
#
# Hook: every bench/workloads/NAME-*.sh (or NAME.sh) is run as workload NAME, upper-cased
# (w6-conn-storm.sh is W6, loopback.sh is LOOPBACK), with WEIR_BIN, WEIR_BUILD_DIR,
# BENCH_BIN_DIR, BENCH_RESULTS_DIR and BENCH_QUICK (0|1) set; each line it prints as
# `RESULT <workload> <metric>=<value> ...` goes into the table.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

quick=0
repeat=
build=1
write_docs=1
selected="W1,W2,W3,W4,W5,W8"
hook_scripts=()
for script in bench/workloads/*.sh; do
  [ -e "$script" ] && hook_scripts+=("$script")
done
for script in "${hook_scripts[@]}"; do
  name=$(basename "$script"); name=${name%%[-_.]*}
  selected+=",${name^^}"
done

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; write_docs=0 ;;
    --workloads) selected=${2^^}; shift ;;
    --repeat) repeat=$2; shift ;;
    --no-build) build=0 ;;
    --no-docs) write_docs=0 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$repeat" ] || repeat=$([ "$quick" = 1 ] && echo 1 || echo 3)
wants() { [[ ",$selected," == *",$1,"* ]]; }

scale=$([ "$quick" = 1 ] && echo 10 || echo 1)
records=$((1000000 / scale))          # W1, W2, W4
records_w3=$((100000 / scale))        # per producer, 3 producers
records_w5=$((200000 / scale))        # 20 s at 10,000 records/s
append_megabytes=$([ "$quick" = 1 ] && echo 32 || echo 256)
append_repeat=$([ "$quick" = 1 ] && echo 1 || echo 3)

build_dir=build/release
bin=$build_dir/bench
weir_bin=$build_dir/server/weir
if [ "$build" = 1 ]; then
  cmake --preset release -DWEIR_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j2 --target weir weir_append_bench weir-producer-perf \
    weir-consumer-perf e2e-latency mock-cluster
fi
for tool in "$weir_bin" "$bin/weir-producer-perf" "$bin/weir-consumer-perf" \
            "$bin/e2e-latency" "$bin/mock-cluster" "$bin/weir_append_bench"; do
  [ -x "$tool" ] || { echo "missing $tool: build the release preset (needs librdkafka-dev)" >&2; exit 1; }
done

stamp=$(date -u +%Y-%m-%dT%H-%M-%SZ)
out=$build_dir/bench-results/$stamp
mkdir -p "$out"
scratch=$(mktemp -d -t weir-bench.XXXXXX)
started_pids=()
cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- brokers ---------------------------------------------------------------------------

# start_weir NAME [SETTING=VALUE ...]: a broker on a fresh data folder; sets weir_pid and
# weir_address.
start_weir() {
  local name=$1; shift
  local port; port=$(free_port)
  local data="$scratch/data-$name"
  mkdir -p "$data"
  env BIND_ADDRESS="127.0.0.1:$port" STORAGE_PATH="$data" "$@" "$weir_bin" \
    >"$out/weir-$name.log" 2>&1 &
  weir_pid=$!
  started_pids+=("$weir_pid")
  weir_address="127.0.0.1:$port"
  local waited=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    sleep 0.1; waited=$((waited + 1))
    if [ "$waited" -gt 300 ] || ! kill -0 "$weir_pid" 2>/dev/null; then
      echo "weir did not start; its log:" >&2; cat "$out/weir-$name.log" >&2; exit 1
    fi
  done
}

stop_weir() {
  kill -TERM "$weir_pid" 2>/dev/null || true
  wait "$weir_pid" 2>/dev/null || true
  rm -rf "$scratch"/data-*
  # The next workload must not share the disk with this one's deferred writeback (and,
  # on filesystems mounted with discard, the discards of the files just removed).
  sync
}

# Peak resident memory of the broker so far, in MiB (the kernel's high-water mark).
weir_peak_rss_mib() {
  awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$weir_pid/status"
}

# start_mock NAME TOPIC:PARTITIONS ...: sets mock_pid and mock_address.
start_mock() {
  local name=$1; shift
  local topics=() topic
  for topic in "$@"; do topics+=(--topic "$topic"); done
  "$bin/mock-cluster" "${topics[@]}" >"$out/mock-$name.address" 2>"$out/mock-$name.log" &
  mock_pid=$!
  started_pids+=("$mock_pid")
  local waited=0
  until [ -s "$out/mock-$name.address" ]; do
    sleep 0.1; waited=$((waited + 1))
    [ "$waited" -lt 100 ] || { echo "mock cluster did not start" >&2; exit 1; }
  done
  mock_address=$(head -n1 "$out/mock-$name.address")
}

stop_mock() {
  kill -TERM "$mock_pid" 2>/dev/null || true
  wait "$mock_pid" 2>/dev/null || true
}

# --- tool runs and their output --------------------------------------------------------

producer_final='^([0-9]+) records sent, ([0-9.]+) records/sec \(([0-9.]+) MB/sec\), ([0-9.]+) ms avg latency, ([0-9.]+) ms max latency, ([0-9]+) ms 50th, ([0-9]+) ms 95th, ([0-9]+) ms 99th, ([0-9]+) ms 99.9th\.$'
producer_window='^([0-9]+) records sent, ([0-9.]+) records/sec \(([0-9.]+) MB/sec\), ([0-9.]+) ms avg latency, ([0-9.]+) ms max latency\.$'
latency_line='^([0-9]+) records received, ([0-9.]+) records/sec, ([0-9.]+) ms avg latency, ([0-9.]+) ms max latency, ([0-9.]+) ms 50th, ([0-9.]+) ms 99th, ([0-9.]+) ms 99.9th'

# Periodic lines to gnuplot data: seconds, then the line's numbers.
to_series() {  # to_series LOG REGEX INTERVAL_MS FIELDS
  sed -nE "s#$2#$4#p" "$1" | awk -v step="$3" '{ printf "%.2f %s\n", NR * step / 1000, $0 }'
}

# produce RUN_NAME ADDRESS TOPIC RECORDS SIZE|@FILE PROPS...: runs weir-producer-perf and
# prints "records/s MB/s avg_ms max_ms p50 p95 p99 p999"
produce() {
  local run=$1 address=$2 topic=$3 count=$4 size=$5; shift 5
  local payload=(--record-size "$size")
  [[ "$size" == @* ]] && payload=(--payload-file "${size#@}")
  "$bin/weir-producer-perf" --topic "$topic" --num-records "$count" "${payload[@]}" \
    --throughput -1 --reporting-interval 250 \
    --producer-props bootstrap.servers="$address" "$@" >"$out/$run.log" 2>"$out/$run.err" ||
    { echo "producer run $run failed:" >&2; tail -5 "$out/$run.err" >&2; return 1; }
  to_series "$out/$run.log" "$producer_window" 250 '\2 \3 \4 \5' >"$out/$run.dat"
  sed -nE "s#$producer_final#\\2 \\3 \\4 \\5 \\6 \\7 \\8 \\9#p" "$out/$run.log"
}

# The same client settings on both sides. librdkafka 2.0.2 stops fetching for a second
# whenever its queue holds more than queued.min.messages (100,000): one 1 MiB fetch of
# W4's lz4 batches holds ~200,000 records, so with the default the consumer would measure
# its own back-off (a flat ~200,000 records/s on any broker that fills the fetch).
consumer_config() {
  echo "queued.min.messages=2000000" >"$out/consumer.properties"
  echo "$out/consumer.properties"
}

# consume RUN_NAME ADDRESS TOPIC RECORDS: prints "nMsg.sec fetch.nMsg.sec fetch.MB.sec rebalance_ms"
consume() {
  local run=$1 address=$2 topic=$3 count=$4
  "$bin/weir-consumer-perf" --bootstrap-server "$address" --topic "$topic" --messages "$count" \
    --group "$run" --timeout 30000 --consumer.config "$(consumer_config)" >"$out/$run.log" 2>"$out/$run.err" ||
    { echo "consumer run $run failed:" >&2; tail -5 "$out/$run.err" >&2; return 1; }
  awk -F', ' 'NR == 2 { print $6, $10, $9, $7 }' "$out/$run.log"
}

# The same consumption once more with a row every 200 ms, for the plot.
consume_series() {
  local run=$1 address=$2 topic=$3 count=$4
  "$bin/weir-consumer-perf" --bootstrap-server "$address" --topic "$topic" --messages "$count" \
    --group "$run" --timeout 30000 --consumer.config "$(consumer_config)" --show-detailed-stats --reporting-interval 200 \
    >"$out/$run.log" 2>"$out/$run.err" || return 0
  awk -F', ' 'NR > 1 { printf "%.2f %s %s\n", (NR - 1) * 0.2, $6, $4 }' "$out/$run.log" >"$out/$run.dat"
}

best_of() {  # best_of COLUMN: the line with the largest value in COLUMN
  sort -g -k"$1","$1" | tail -n1
}

# --- results ---------------------------------------------------------------------------

results="$out/results.tsv"
: >"$results"
# record WORKLOAD METRIC WEIR PEER PEER_NAME TARGET_TEXT RATIO_TARGET(optional, blank=none) LOAD
record() {
  # Empty fields become "-": read with IFS=tab would merge the tabs around an empty one.
  local field fields=()
  for field in "$@"; do fields+=("${field:--}"); done
  (IFS=$'\t'; echo "${fields[*]}") >>"$results"
  log "$1 $2: weir $3, $5 ${4:--}"
}

rounded() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/ && v >= 1000) printf "%.0f", v; else print v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
meets() {  # meets VALUE OP LIMIT -> yes|no
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    ok = (op == ">=") ? v >= l : v <= l; print (v == "" || v == "-") ? "-" : (ok ? "yes" : "no") }'
}

payload_file="$scratch/payload-100.txt"
# W4's values: 100 bytes of 'x', as in the kcat figure of docs/benchmarks.md. The mock keeps only ~5 MB per
# partition, so 1,000,000 records fit it only when lz4 shrinks them to a few bytes each;
# with varied text (even 1,000 distinct lines) it drops the oldest half before the read.
printf 'x%.0s' $(seq 100) >"$payload_file"
echo >>"$payload_file"

run_w1_w2() {  # run_w1_w2 W ACKS
  local workload=$1 acks=$2 w=${1,,} r weir_best mock_best load
  load=$(load_average)
  start_weir "$w"
  start_mock "$w" $(for r in $(seq "$repeat"); do echo "$w-$r:1"; done)
  : >"$scratch/weir.txt"; : >"$scratch/mock.txt"
  for r in $(seq "$repeat"); do
    produce "$w-weir-$r" "$weir_address" "$w-$r" "$records" 100 acks="$acks" linger.ms=5 >>"$scratch/weir.txt"
    produce "$w-mock-$r" "$mock_address" "$w-$r" "$records" 100 acks="$acks" linger.ms=5 >>"$scratch/mock.txt"
  done
  weir_best=$(best_of 1 <"$scratch/weir.txt")
  mock_best=$(best_of 1 <"$scratch/mock.txt")
  local peak; peak=$(weir_peak_rss_mib)
  stop_weir; stop_mock
  load="$load / $(load_average)"
  local weir_rate=${weir_best%% *} mock_rate=${mock_best%% *}
  local limit; limit=$([ "$acks" = 1 ] && echo 1.0 || echo 0.8)
  record "$workload" "records/s (100 B, acks=$acks)" "$weir_rate" "$mock_rate" "mock" \
    ">= ${limit}x mock" "$(meets "$(ratio "$weir_rate" "$mock_rate")" '>=' "$limit")" "$load"
  record "$workload" "p99 ms (send to ack)" "$(cut -d' ' -f7 <<<"$weir_best")" \
    "$(cut -d' ' -f7 <<<"$mock_best")" "mock" "-" "-" "$load"
  [ "$workload" = W1 ] && w1_peak_rss=$peak
  plot_producer "$workload" "$w" "$workload: produce ${records} x 100 B, acks=$acks, linger.ms=5"
}

run_w3() {
  local load; load=$(load_average)
  local r p begin end rate megabytes_per_second=0
  for r in $(seq "$repeat"); do
    start_weir w3 DEFAULT_PARTITIONS=6
    begin=$(date +%s.%N)
    for p in 1 2 3; do
      produce "w3-weir-p$p" "$weir_address" w3 "$records_w3" 1024 acks=all linger.ms=5 >"$scratch/w3-$p.txt" &
      started_pids+=("$!")
    done
    for p in 1 2 3; do wait "${started_pids[-$p]}"; done
    end=$(date +%s.%N)
    stop_weir
    rate=$(awk -v n="$((3 * records_w3 * 1024))" -v b="$begin" -v e="$end" \
      'BEGIN { printf "%.1f", n / (e - b) / 1e6 }')
    log "W3 run $r: weir $rate MB/s"
    megabytes_per_second=$(awk -v a="$rate" -v b="$megabytes_per_second" 'BEGIN { print (a > b ? a : b) }')
  done
  log "W3 raw RocksDB synced 1 MiB batches (weir_append_bench)"
  local raw
  raw=$("$bin/weir_append_bench" --path "$scratch/append" --batch-bytes 1048576 \
    --megabytes "$append_megabytes" --threads 2 --inflight 4 --sync 1 --repeat "$append_repeat" |
    tee "$out/w3-append-bench.log" | awk '$1 == "raw" { print $2 }')
  load="$load / $(load_average)"
  record W3 "MB/s (1 KiB, acks=all, 6 partitions, 3 producers)" "$megabytes_per_second" "$raw" \
    "raw RocksDB" ">= 0.9x raw" "$(meets "$(ratio "$megabytes_per_second" "$raw")" '>=' 0.9)" "$load"
  plot_producer W3 w3 "W3: 3 producers x ${records_w3} x 1 KiB, acks=all, 6 partitions (last run)"
}

run_w4() {
  local load; load=$(load_average)
  local r codec
  start_weir w4
  start_mock w4 $(for r in $(seq "$repeat"); do echo "w4-lz4-$r:1"; done) w4-lz4-plot:1
  for codec in lz4 none; do
    produce "w4-weir-load-$codec" "$weir_address" "w4-$codec" "$records" "@$payload_file" \
      acks=1 linger.ms=5 compression.type=$codec >/dev/null
  done
  for r in $(seq "$repeat"); do
    produce "w4-mock-load-$r" "$mock_address" "w4-lz4-$r" "$records" "@$payload_file" \
      acks=1 linger.ms=5 compression.type=lz4 >/dev/null
  done
  : >"$scratch/weir-lz4.txt"; : >"$scratch/weir-none.txt"; : >"$scratch/mock.txt"
  for r in $(seq "$repeat"); do
    consume "w4-weir-lz4-$r" "$weir_address" w4-lz4 "$records" >>"$scratch/weir-lz4.txt"
    consume "w4-mock-lz4-$r" "$mock_address" "w4-lz4-$r" "$records" >>"$scratch/mock.txt"
    consume "w4-weir-none-$r" "$weir_address" w4-none "$records" >>"$scratch/weir-none.txt"
  done
  consume_series w4-weir-lz4-series "$weir_address" w4-lz4 "$records"
  produce "w4-mock-load-plot" "$mock_address" w4-lz4-plot "$records" "@$payload_file" \
    acks=1 linger.ms=5 compression.type=lz4 >/dev/null
  consume_series w4-mock-lz4-series "$mock_address" w4-lz4-plot "$records"
  stop_weir; stop_mock
  load="$load / $(load_average)"
  local weir_lz4 weir_none mock_lz4
  weir_lz4=$(best_of 2 <"$scratch/weir-lz4.txt" | cut -d' ' -f2)
  weir_none=$(best_of 2 <"$scratch/weir-none.txt" | cut -d' ' -f2)
  mock_lz4=$(best_of 2 <"$scratch/mock.txt" | cut -d' ' -f2)
  record W4 "fetch records/s (lz4)" "$weir_lz4" "$mock_lz4" "mock" ">= 1.2x mock" \
    "$(meets "$(ratio "$weir_lz4" "$mock_lz4")" '>=' 1.2)" "$load"
  record W4 "fetch records/s (uncompressed)" "$weir_none" "" "-" "-" "-" "$load"
  plot_consumer
}

run_w5() {
  local load; load=$(load_average)
  start_weir w5
  start_mock w5 w5:1
  local side address
  for side in weir mock; do
    address=$weir_address; [ "$side" = mock ] && address=$mock_address
    "$bin/e2e-latency" --bootstrap-server "$address" --topic w5 --num-records "$records_w5" \
      --throughput 10000 --record-size 1024 --reporting-interval 1000 \
      --producer-props acks=all >"$out/w5-$side.log" 2>"$out/w5-$side.err" ||
      log "W5 on $side did not receive every record (see $out/w5-$side.err)"
    to_series "$out/w5-$side.log" "$latency_line\$" 1000 '\2 \5 \6 \7 \4' >"$out/w5-$side.dat"
  done
  stop_weir; stop_mock
  load="$load / $(load_average)"
  local weir_final mock_final
  weir_final=$(sed -nE "s#$latency_line\\.\$#\\5 \\6 \\7 \\4#p" "$out/w5-weir.log")
  mock_final=$(sed -nE "s#$latency_line\\.\$#\\5 \\6 \\7 \\4#p" "$out/w5-mock.log")
  read -r p50 p99 p999 max <<<"$weir_final"
  read -r mp50 mp99 mp999 mmax <<<"$mock_final"
  record W5 "p50 ms (10,000 x 1 KiB/s, acks=all)" "$p50" "$mp50" "mock" "<= 1 ms" "$(meets "$p50" '<=' 1)" "$load"
  record W5 "p99 ms" "$p99" "$mp99" "mock" "<= 5 ms" "$(meets "$p99" '<=' 5)" "$load"
  record W5 "p99.9 ms" "$p999" "$mp999" "mock" "<= 15 ms" "$(meets "$p999" '<=' 15)" "$load"
  record W5 "max ms" "$max" "$mmax" "mock" "-" "-" "$load"
  plot_latency
}

run_hook() {  # run_hook SCRIPT
  local script=$1 load; load=$(load_average)
  log "hook $script"
  WEIR_BIN=$weir_bin WEIR_BUILD_DIR=$repo_root/$build_dir BENCH_BIN_DIR=$bin BENCH_RESULTS_DIR=$out BENCH_QUICK=$quick \
    bash "$script" >"$out/$(basename "$script" .sh).result" 2>"$out/$(basename "$script" .sh).log" ||
    log "$script exited with an error"
  load="$load / $(load_average)"
  local line workload pairs pair
  while read -r line; do
    read -r _ workload pairs <<<"$line"
    for pair in $pairs; do
      record "$workload" "${pair%%=*}" "${pair#*=}" "" "-" "see the workload's section" "-" "$load"
    done
  # Only the script's standard output counts: its progress on stderr repeats RESULT lines.
  done < <(grep -a '^RESULT ' "$out/$(basename "$script" .sh).result" || true)
}

# --- plots -----------------------------------------------------------------------------

plot_files=()
gnuplot_available() { command -v gnuplot >/dev/null 2>&1; }

# plot SLUG TITLE Y1LABEL Y2LABEL PLOT1 PLOT2
plot() {
  gnuplot_available || return 0
  local png="$out/$1.png"
  gnuplot 2>/dev/null <<EOF || return 0
set terminal png size 900,640
set output "$png"
set multiplot layout 2,1 title "$2"
set grid
set key outside right
set xlabel "seconds"
set ylabel "$3"
plot $5
set ylabel "$4"
plot $6
unset multiplot
EOF
  plot_files+=("$png")
}

series_plot() {  # series_plot COLUMN FILE... -> a gnuplot plot list
  local column=$1 list="" file; shift
  for file in "$@"; do
    [ -s "$file" ] || continue
    list+="${list:+, }\"$file\" using 1:$column with linespoints title \"$(basename "$file" .dat)\""
  done
  echo "${list:-0 title \"no periodic lines\"}"
}

plot_producer() {  # plot_producer W SLUG TITLE
  local files=("$out/$2"-*.dat)
  plot "$2-throughput-latency" "$3" "records/s" "avg latency, ms" \
    "$(series_plot 2 "${files[@]}")" "$(series_plot 4 "${files[@]}")"
}

plot_consumer() {
  plot "w4-consume" "W4: consume ${records} x 100 B, lz4 (every 200 ms)" "records/s" "MB/s" \
    "$(series_plot 2 "$out"/w4-*-series.dat)" "$(series_plot 3 "$out"/w4-*-series.dat)"
}

plot_latency() {
  plot "w5-latency" "W5: end-to-end latency, 10,000 x 1 KiB records/s, acks=all" "records/s" \
    "p99 latency, ms" "$(series_plot 2 "$out"/w5-*.dat)" "$(series_plot 4 "$out"/w5-*.dat)"
}

# --- the run ---------------------------------------------------------------------------

load_before=$(load_average)
log "results in $out (load average $load_before)"
w1_peak_rss=
if wants W1 || wants W8; then run_w1_w2 W1 1; fi
if wants W8 && [ -n "$w1_peak_rss" ]; then
  record W8 "broker peak RSS during W1, MiB (VmHWM)" "$w1_peak_rss" "" "-" "<= 512 MiB" \
    "$(meets "$w1_peak_rss" '<=' 512)" "$load_before"
fi
if wants W2; then run_w1_w2 W2 all; fi
if wants W3; then run_w3; fi
if wants W4; then run_w4; fi
if wants W5; then run_w5; fi
for script in "${hook_scripts[@]}"; do
  name=$(basename "$script"); name=${name%%[-_.]*}
  if wants "${name^^}"; then run_hook "$script"; fi
done
load_after=$(load_average)

# --- the table -------------------------------------------------------------------------

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
filesystem=$(findmnt -n -o SOURCE,FSTYPE --target "$scratch" 2>/dev/null | tr -s ' ' || echo unknown)
table="$out/table.md"
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "($([ "$quick" = 1 ] && echo 'quick, 10x fewer records; ')best of $repeat alternating runs per side for W1, W2, W4; of $repeat runs of Weir for W3, of $append_repeat for its raw side):"
  echo "$(nproc) CPUs ($cpu), $memory RAM, data on $filesystem, $(. /etc/os-release && echo "$PRETTY_NAME"),"
  echo "kernel $(uname -r), librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?')."
  echo "Load average (1/5/15 min) before the run: $load_before; after: $load_after."
  echo
  echo "| workload | metric | Weir | peer | Weir/peer | target | met | load before / after |"
  echo "|---|---|---|---|---|---|---|---|"
  while IFS=$'\t' read -r workload metric weir peer peer_name target met load; do
    shown_peer="-"; shown_ratio="-"
    if [ "$peer" != "-" ]; then
      shown_peer="$(rounded "$peer") ($peer_name)"
      shown_ratio=$(ratio "$weir" "$peer")
    fi
    echo "| $workload | $metric | $(rounded "$weir") | $shown_peer | $shown_ratio | $target | $met | $load |"
  done <"$results"
  if [ "${#plot_files[@]}" -gt 0 ]; then
    echo
    echo "Throughput and latency over time:"
    for png in "${plot_files[@]}"; do echo "[$(basename "$png" .png)](benchmarks/$(basename "$png"))"; done | paste -sd' '
  fi
} >"$table"
cat "$table"

if [ "$write_docs" = 1 ]; then
  begin_marker='<!-- bench/run.sh results: begin -->'
  end_marker='<!-- bench/run.sh results: end -->'
  docs=docs/benchmarks.md
  if ! grep -qF "$begin_marker" "$docs"; then
    printf '\n## Suite: bench/run.sh\n\n%s\n%s\n' "$begin_marker" "$end_marker" >>"$docs"
  fi
  awk -v begin="$begin_marker" -v end="$end_marker" -v table="$table" '
    $0 == begin { print; while ((getline line < table) > 0) print line; skipping = 1; next }
    $0 == end { skipping = 0 }
    !skipping { print }' "$docs" >"$out/benchmarks.md"
  cp "$out/benchmarks.md" "$docs"
  mkdir -p docs/benchmarks
  for png in "${plot_files[@]}"; do cp "$png" docs/benchmarks/; done
  log "wrote the table into $docs and ${#plot_files[@]} plots into docs/benchmarks/"
fi
