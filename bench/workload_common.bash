# Shared by bench/workloads/*.sh (sourced, not run): where the Release binaries are, free
# loopback ports, and starting a broker on a temporary data folder.
#
# A workload script prints progress on stderr and exactly one `RESULT <workload> k=v ...`
# line on stdout, which bench/run.sh takes into its table. WEIR_BUILD_DIR overrides the
# build folder (default build/release of this checkout); missing targets are built.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${WEIR_BUILD_DIR:-$REPO_ROOT/build/release}

# ensure_built TARGET...: builds the targets whose binaries are missing.
ensure_built() {
  local missing=()
  for target in "$@"; do
    [[ -x $BUILD_DIR/bench/$target || -x $BUILD_DIR/server/$target ]] || missing+=("$target")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ -f $BUILD_DIR/build.ninja ]] || cmake --preset release -DWEIR_BUILD_TESTS=OFF -S "$REPO_ROOT" >&2
  cmake --build "$BUILD_DIR" -j2 --target "${missing[@]}" >&2
}

# A port nobody listens on right now (other test runs share the machine).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_for_port() {
  local deadline=$((SECONDS + ${2:-30}))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}
