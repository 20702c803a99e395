#!/usr/bin/env bash
# tools/vmtest/selftest.sh - checks tools/vmtest/run.sh end to end: exit
# status propagation, BPF-LSM active, a BPF-LSM program that really loads,
# attaches and denies, copying dynamically linked programs, kernel modules,
# and the 125 status for timeouts and boot failures. ~1 minute under TCG.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=$HERE/run.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/capsa-vmtest-selftest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PASS=0 FAIL=0 SKIP=0

ok()   { echo "PASS: $1"; PASS=$((PASS + 1)); }
bad()  { echo "FAIL: $1"; FAIL=$((FAIL + 1)); }
skip() { echo "SKIP: $1"; SKIP=$((SKIP + 1)); }

# vm NAME EXPECTED_RC PATTERN [run.sh args...]: run, check status and output
vm() {
    local name=$1 want=$2 pat=$3 out=$WORK/$1.out rc
    shift 3
    echo "=== $name"
    "$RUN" "$@" >"$out" 2>&1
    rc=$?
    sed 's/^/    /' "$out"
    if [[ $rc != "$want" ]]; then
        bad "$name: exit status $rc, expected $want"
    elif [[ -n $pat ]] && ! grep -Eq -- "$pat" "$out"; then
        bad "$name: output does not match /$pat/"
    else
        ok "$name"
    fi
}

vm exit-status 3 '^\[vmtest\] lsm: .*\bbpf\b' -- sh -c 'exit 3'

vm quoting 0 '^<a b> <it'"'"'s> <\$x>' -- sh -c 'printf "<%s> " "$@"; echo' _ 'a b' "it's" '$x'

vm env-workdir 0 '^/opt/w FOO=1 2$' --copy "$HERE:/opt/w" --workdir /opt/w --env 'FOO=1 2' \
    -- sh -c 'test -x run.sh && echo "$(pwd) FOO=$FOO"'

if command -v bpftool >/dev/null; then
    vm bpftool-probe 0 'program_type lsm is available' --copy "$(command -v bpftool)" \
        -- sh -c 'bpftool feature probe kernel | grep -i lsm'
else
    skip "bpftool-probe: no bpftool on the host"
fi

if command -v jq >/dev/null; then
    vm dynamic-binary 0 '^"ok"$' --copy "$(command -v jq)" -- sh -c 'jq -n "\"ok\""'
else
    skip "dynamic-binary: no jq on the host"
fi

# a real BPF-LSM program: load, attach, deny open() with EPERM, detach
if command -v clang >/dev/null && command -v cc >/dev/null && [[ -f /usr/include/bpf/libbpf.h ]]; then
    mkdir -p "$WORK/lsm"
    if clang -O2 -g -target bpf -I"/usr/include/$(uname -m)-linux-gnu" \
            -c "$HERE/selftest/lsm_deny.bpf.c" -o "$WORK/lsm/lsm_deny.bpf.o" &&
       cc -O2 -Wall -o "$WORK/lsm/lsm_deny" "$HERE/selftest/lsm_deny.c" -lbpf; then
        vm bpf-lsm-enforce 0 'LSM SELFTEST PASSED' --copy "$WORK/lsm:/selftest" --workdir /selftest \
            -- ./lsm_deny lsm_deny.bpf.o
    else
        bad "bpf-lsm-enforce: building the test program failed"
    fi
else
    skip "bpf-lsm-enforce: needs clang, cc and libbpf-dev"
fi

if [[ -x /usr/sbin/ip || -x /sbin/ip ]]; then
    IP=$(command -v ip)
    vm modules 0 'veth-ok' --copy "$IP" --module veth \
        -- sh -c 'ip link add v0 type veth peer name v1 && echo veth-ok'
else
    skip "modules: no iproute2 on the host"
fi

vm timeout 125 'timed out' --timeout 15 -- sleep 1000
vm boot-failure 125 'Kernel panic' --append rdinit=/nonexistent -- true

echo
echo "selftest: $PASS passed, $FAIL failed, $SKIP skipped"
[[ $FAIL == 0 ]]
