#!/usr/bin/env bash
# Loopback TCP throughput, the physical limit of the network figures: one sender, one
# receiver, 1 GiB over 127.0.0.1 (LOOPBACK_MEGABYTES to change it).
set -euo pipefail
source "$(dirname "$0")/../workload_common.bash"
ensure_built weir-loopback-throughput
echo "loopback: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BUILD_DIR/bench/weir-loopback-throughput" --megabytes "${LOOPBACK_MEGABYTES:-1024}" --workload loopback |
  tee /dev/stderr | grep '^RESULT '
