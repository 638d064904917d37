#!/usr/bin/env bash
# Checks the systemd units with `systemd-analyze verify` in a private root (a copy of the
# system's unit directory plus the upsight binary at /usr/local/bin/upsight), failing on any
# warning, then prints each unit's `systemd-analyze security` exposure score.
# Usage: deploy/systemd/verify.sh [path/to/upsight]   (default: target/debug/upsight)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/debug/upsight}
[ -x "$bin" ] || { echo "verify.sh: $bin is not built (cargo build -p upsight)" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "verify.sh: systemd-analyze missing (package systemd)" >&2; exit 1; }
units=(deploy/systemd/*.service)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
ln -s usr/lib "$root/lib"
cp "$bin" "$root/usr/local/bin/upsight"
cp "${units[@]}" "$root/etc/systemd/system/"
names=()
for unit in "${units[@]}"; do names+=("$(basename "$unit")"); done
out=$(systemd-analyze verify --root="$root" "${names[@]}" 2>&1) || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "systemd-analyze verify warned:" >&2
  echo "$out" >&2
  exit 1
fi
for name in "${names[@]}"; do
  systemd-analyze security --offline=true --root="$root" "$name" 2>&1 | tail -1
done
echo "systemd units verified: ${names[*]}"
