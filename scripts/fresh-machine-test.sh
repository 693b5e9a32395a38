#!/usr/bin/env bash
# The README's two commands on a fresh Debian 12: a debootstrap minbase chroot with nothing else
# installed, network to Debian's and PyPI's registries only. Copies this checkout (tracked and
# untracked files, not the ignored ones) into it, runs scripts/run-example.sh and then
# scripts/test.sh there, and prints each one's time and how much it downloaded.
#
#   sudo scripts/fresh-machine-test.sh DIR [MIRROR]    (DIR must not exist; about 45 minutes)
#
# Needs debootstrap and root (chroot, mounts). DIR is left behind for inspection; remove it with
# umount -R "$DIR"/{proc,sys,dev} && rm -rf "$DIR". Where this machine reaches PyPI through a
# TLS-inspecting proxy, PIP_CERT (its CA bundle) is passed on to pip in the chroot; nothing else
# of this machine's is.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:?usage: scripts/fresh-machine-test.sh DIR [MIRROR]}"
mirror="${2:-http://deb.debian.org/debian}"
[ ! -e "$root" ] || { echo "fresh-machine-test: $root exists"; exit 2; }

debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log"; exit 1; }
mkdir -p "$root/work/torchact"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$root/work/torchact"
cp /etc/resolv.conf "$root/etc/resolv.conf"
pip_cert=()
if [ -n "${PIP_CERT:-}" ]; then
  cp "$PIP_CERT" "$root/etc/pip-proxy-ca.crt"
  pip_cert=(PIP_CERT=/etc/pip-proxy-ca.crt)
fi
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"

# Bytes received on every network interface (the chroot shares this machine's network): what a
# step downloaded, if nothing else runs meanwhile.
rx_bytes() { awk 'NR > 2 { sum += $2 } END { printf "%.0f\n", sum }' /proc/net/dev; }

run() {  # run NAME COMMAND: in the chroot, timed, logged to $root.NAME.log
  local name=$1 start=$SECONDS status=0 rx0
  rx0=$(rx_bytes)
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${pip_cert[@]}" \
    bash -c "cd /work/torchact && $2" > "$root.$name.log" 2>&1 || status=$?
  echo "=== $name: exit $status after $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s;" \
       "received $(( ($(rx_bytes) - rx0) / 1000000 )) MB over the network (log: $root.$name.log)"
  tail -25 "$root.$name.log"
  return $status
}
status=0
run example scripts/run-example.sh || status=1
run test scripts/test.sh || status=1
exit $status
