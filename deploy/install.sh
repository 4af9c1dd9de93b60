#!/bin/sh
# Installs Weir for systemd: the binary, deploy/weir.service, an environment file and
# the example TOML config. Run as root from a checkout after building the release preset:
#
#   scripts/dev build release && sudo deploy/install.sh
#
# Paths follow the usual conventions and can be changed from the environment:
#   WEIR_BINARY  the binary to install   (build/release/server/weir)
#   PREFIX       binary and docs under   (/usr/local)
#   SYSCONFDIR   weir/ config folder in  (/etc)
#   UNITDIR      systemd unit folder     (/etc/systemd/system)
#   DESTDIR      staging root prepended to every path written (packaging, tests); the
#                installed unit still names the final paths.
# The unit is rewritten to name PREFIX and SYSCONFDIR. Existing config files are never
# overwritten: a changed example lands beside them as weir.toml.example, for diffing.
# It does not start or enable the service; it prints the commands that do.
set -eu

repo=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
binary=${WEIR_BINARY:-$repo/build/release/server/weir}
prefix=${PREFIX:-/usr/local}
sysconfdir=${SYSCONFDIR:-/etc}
unitdir=${UNITDIR:-/etc/systemd/system}
destdir=${DESTDIR:-}

bindir=$prefix/bin
docdir=$prefix/share/doc/weir
configdir=$sysconfdir/weir

if [ ! -x "$binary" ]; then
    echo "install.sh: no weir binary at $binary: build it (scripts/dev build release) or set WEIR_BINARY" >&2
    exit 1
fi

# Ownership is set only when installing as root (a staging install by a user keeps its own).
owner=
if [ "$(id -u)" -eq 0 ]; then owner="-o root -g root"; fi

# The config folder: readable by the service's dynamic user (the TOML is read by weir
# itself), writable by root only. The environment file is read by systemd (as root)
# before the service starts, so it can hold secrets at mode 0600.
# shellcheck disable=SC2086
install -d -m 0755 $owner "$destdir$bindir" "$destdir$docdir" "$destdir$unitdir" "$destdir$configdir"

# The binary goes in under a temporary name and is renamed over the old one, so a
# running broker keeps its (unlinked) file and a restart picks up the new one.
# shellcheck disable=SC2086
install -m 0755 $owner "$binary" "$destdir$bindir/.weir.new"
mv -f "$destdir$bindir/.weir.new" "$destdir$bindir/weir"

# The unit is code, not configuration: replaced on every install. Local changes belong
# in a drop-in (`systemctl edit weir`), which survives this.
sed -e "s|/usr/local/bin/weir|$bindir/weir|g" \
    -e "s|/usr/local/share/doc/weir|$docdir|g" \
    -e "s|/etc/weir/|$configdir/|g" \
    "$repo/deploy/weir.service" > "$destdir$unitdir/.weir.service.new"
chmod 0644 "$destdir$unitdir/.weir.service.new"
mv -f "$destdir$unitdir/.weir.service.new" "$destdir$unitdir/weir.service"

# shellcheck disable=SC2086
install -m 0644 $owner "$repo/docs/operations.md" "$repo/docs/configuration.md" "$repo/docs/architecture.md" \
    "$repo/deploy/weir-alerts.yml" "$repo/deploy/weir.toml" "$destdir$docdir/"

install_config() {  # source, target, mode
    if [ -e "$2" ]; then
        if ! cmp -s "$1" "$2"; then
            # shellcheck disable=SC2086
            install -m "$3" $owner "$1" "$2.example"
            echo "install.sh: kept $2 (the shipped version is $2.example)"
        fi
        return
    fi
    # shellcheck disable=SC2086
    install -m "$3" $owner "$1" "$2"
}

install_config "$repo/deploy/weir.toml" "$destdir$configdir/weir.toml" 0644
env_example=$(mktemp)
trap 'rm -f "$env_example"' EXIT
cat > "$env_example" <<'ENV'
# Environment for weir.service, read by systemd: NAME=value lines, one setting each
# (names in docs/configuration.md). They override weir.toml. Mode 0600: it may hold
# values you do not want readable by other users.
#BIND_ADDRESS=0.0.0.0:9092
#ADVERTISED_ADDRESS=kafka.example.net:9092
ENV
install_config "$env_example" "$destdir$configdir/weir.env" 0600

cat <<DONE
Installed weir in $destdir$bindir, its unit in $destdir$unitdir, its config in $destdir$configdir.
Check the config:  $bindir/weir --config $configdir/weir.toml --print-config
Start it:          systemctl daemon-reload && systemctl enable --now weir
DONE
