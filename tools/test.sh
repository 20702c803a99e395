#!/usr/bin/env bash
# Runs every test tier with ctest. Tiers are ctest labels:
#   unit         pure logic (parsers, exposition format, path resolution)
#   integration  the capsa binary against real namespaces, mounts and cgroups
#   bpf          capsad's BPF programs in the running kernel: metrics scraped
#                over HTTP, policies enforced on real containers
#   vm           the BPF-LSM tier, in a qemu VM booting Debian's kernel with
#                lsm=...,bpf (tools/vmtest); fails if the LSM programs do not load
# A test that needs something this machine lacks is reported as skipped with
# its reason, never as passed.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the integration and bpf tiers need root" >&2
fi
for label in unit integration bpf vm; do
  printf '%-12s %s tests\n' "$label" "$(ctest --test-dir "$build" -N -L "^$label\$" | awk '/Total Tests:/ {print $3}')"
done
ctest --test-dir "$build" --output-on-failure -j 2 --timeout 300
