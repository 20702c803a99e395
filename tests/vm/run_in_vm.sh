#!/usr/bin/env bash
# run_in_vm.sh BUILD_DIR SOURCE_DIR [gtest args...]
# Runs the VM tier (capsa_vm_tests) inside a qemu VM booting Debian's own
# kernel with BPF-LSM enabled (tools/vmtest/run.sh). Binaries, test helpers
# and mkbundle.sh go in at the same absolute paths they have here, so the
# compiled-in paths of the test binary hold inside the VM.
set -euo pipefail
build=$(realpath "${1:?usage: run_in_vm.sh BUILD_DIR SOURCE_DIR}")
src=$(realpath "${2:?usage: run_in_vm.sh BUILD_DIR SOURCE_DIR}")
shift 2

copies=()
for f in "$build/runtime/capsa" "$build/userspace/capsad" "$build/userspace/capsactl" \
         "$build/tests/capsa_vm_tests" "$build/tests/helpers" \
         "$src/tools/mkbundle.sh" /bin/bash /usr/bin/jq /usr/bin/ldd; do
  [ -e "$f" ] || { echo "run_in_vm: $f is missing (build first)" >&2; exit 1; }
  copies+=(--copy "$f")
done
exec "$src/tools/vmtest/run.sh" --timeout "${CAPSA_VM_TIMEOUT:-900}" --mem 2048 "${copies[@]}" \
  --workdir /tmp -- "$build/tests/capsa_vm_tests" --gtest_color=no "$@"
