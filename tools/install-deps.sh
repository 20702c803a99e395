#!/usr/bin/env bash
# Installs what capsa's build, tests and demo need on Debian 12, as root.
# Idempotent: a second run with everything present does no apt work.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev linux-libc-dev libc6-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
  libyaml-cpp-dev libseccomp-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  busybox-static jq curl xz-utils iproute2 iputils-ping procps util-linux runc
  # prometheus: promtool and the server the metrics tests check capsad against
  prometheus
  qemu-system-x86 seabios cpio kmod
  podman containerd iptables
  # btrfs-progs: the file-rule tests on a btrfs root (its st_dev is not its super block's)
  btrfs-progs
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (apt-get, mounts)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Programs and maps are pinned here; it is not mounted on every machine.
if ! mountpoint -q /sys/fs/bpf; then
  mkdir -p /sys/fs/bpf
  mount -t bpf bpf /sys/fs/bpf
fi
echo "install-deps: ok"
