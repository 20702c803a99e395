#!/usr/bin/env bash
# tools/vmtest/run.sh - run a command inside a throw-away qemu VM that boots
# Debian 12's own kernel (linux-image-amd64, 6.1) with BPF-LSM enabled
# (lsm=lockdown,capability,bpf) from an initramfs only, and exit with the
# command's exit status.
#
#   tools/vmtest/run.sh [options] -- COMMAND [ARGS...]
#
# See tools/vmtest/README.md, or run with --help.
set -Eeuo pipefail

PROG=vmtest
EXIT_INFRA=125            # returned when the VM never reported the command's status

usage() {
    cat <<'EOF'
Usage: tools/vmtest/run.sh [options] -- COMMAND [ARGS...]

Boots Debian 12's kernel (linux-image-amd64) in qemu with
lsm=lockdown,capability,bpf and an initramfs holding busybox plus the paths
given with --copy, runs COMMAND as root (PID 1's child) and exits with its
exit status. Exits 125 if the VM never reported a status (boot failure,
kernel panic, timeout).

Options:
  --timeout SECS          kill the VM after SECS seconds (default 600)
  --mem MB                guest memory in MiB (default 2048)
  --smp N                 guest CPUs (default 2)
  --copy HOST[:VM]        put HOST (file or directory) into the VM at VM
                          (default: the same absolute path as on the host).
                          A VM path ending in '/' means "into this directory".
                          Dynamically linked ELF files get their shared
                          libraries (ldd) and the dynamic loader copied too.
                          Repeatable.
  --workdir DIR           run COMMAND in DIR inside the VM (default /)
  --env NAME=VALUE        set an environment variable for COMMAND. Repeatable.
  --module NAME[,NAME..]  load these kernel modules (and their dependencies)
                          from the same kernel package before COMMAND, e.g.
                          veth,bridge,overlay. Repeatable.
  --append ARGS           extra kernel command line arguments
  --log FILE              also write the console log to FILE
                          (default: <cache>/last-run.log)
  -h, --help              this help

Environment:
  CAPSA_VMTEST_CACHE      cache directory (default /var/cache/capsa-vmtest)
  CAPSA_VMTEST_KERNEL_PKG versioned kernel package to use instead of the one
                          linux-image-amd64 currently depends on
  CAPSA_VMTEST_ACCEL      force "kvm" or "tcg" (default: kvm if usable)
  CAPSA_VMTEST_KEEP=1     keep the temporary initramfs build directory
EOF
}

log()  { printf '%s: %s\n' "$PROG" "$*" >&2; }
die()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit "$EXIT_INFRA"; }
# any unexpected failure of this script is an infrastructure error: never
# let it look like the command's own exit status
on_err() {
    local rc=$? line=$1 cmd=$2
    [[ $rc == "$EXIT_INFRA" ]] || log "internal error (status $rc) at line $line: $cmd"
    exit "$EXIT_INFRA"
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR

# ---------------------------------------------------------------- arguments
TIMEOUT=600
MEM=2048
SMP=2
WORKDIR=/
LOGFILE=
EXTRA_APPEND=
COPIES=()
ENVS=()
MODULES=()

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "option $1 needs an argument (see --help)"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --timeout)   need_arg "$@"; TIMEOUT=$2; shift 2 ;;
        --timeout=*) TIMEOUT=${1#*=}; shift ;;
        --mem)       need_arg "$@"; MEM=$2; shift 2 ;;
        --mem=*)     MEM=${1#*=}; shift ;;
        --smp)       need_arg "$@"; SMP=$2; shift 2 ;;
        --smp=*)     SMP=${1#*=}; shift ;;
        --copy)      need_arg "$@"; COPIES+=("$2"); shift 2 ;;
        --copy=*)    COPIES+=("${1#*=}"); shift ;;
        --workdir)   need_arg "$@"; WORKDIR=$2; shift 2 ;;
        --workdir=*) WORKDIR=${1#*=}; shift ;;
        --env)       need_arg "$@"; ENVS+=("$2"); shift 2 ;;
        --env=*)     ENVS+=("${1#*=}"); shift ;;
        --module|--modules)
                     need_arg "$@"; IFS=, read -r -a _m <<<"$2"; MODULES+=("${_m[@]}"); shift 2 ;;
        --module=*|--modules=*)
                     IFS=, read -r -a _m <<<"${1#*=}"; MODULES+=("${_m[@]}"); shift ;;
        --append)    need_arg "$@"; EXTRA_APPEND+=" $2"; shift 2 ;;
        --append=*)  EXTRA_APPEND+=" ${1#*=}"; shift ;;
        --log)       need_arg "$@"; LOGFILE=$2; shift 2 ;;
        --log=*)     LOGFILE=${1#*=}; shift ;;
        -h|--help)   usage; exit 0 ;;
        --)          shift; break ;;
        *)           die "unknown argument '$1' (the command must follow '--'; see --help)" ;;
    esac
done
[[ $# -gt 0 ]] || { usage >&2; die "no command given"; }
CMD=("$@")

[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer (seconds)"
[[ $MEM =~ ^[1-9][0-9]*$ ]]     || die "--mem must be a positive integer (MiB)"
[[ $SMP =~ ^[1-9][0-9]*$ ]]     || die "--smp must be a positive integer"
[[ $WORKDIR == /* ]]            || die "--workdir must be an absolute path inside the VM"
for e in "${ENVS[@]}"; do
    [[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env expects NAME=VALUE, got '$e'"
done
for m in "${MODULES[@]}"; do
    [[ $m =~ ^[A-Za-z0-9_-]+$ ]] || die "bad module name '$m'"
done

CACHE=${CAPSA_VMTEST_CACHE:-/var/cache/capsa-vmtest}
mkdir -p "$CACHE" || die "cannot create cache directory $CACHE"
[[ -n $LOGFILE ]] || LOGFILE=$CACHE/last-run.log

# ---------------------------------------------------------------- host tools
APT_UPDATED=0
apt_update_once() {
    [[ $APT_UPDATED == 1 ]] && return 0
    log "running apt-get update"
    apt-get update -q >"$CACHE/apt-update.log" 2>&1 \
        || log "warning: apt-get update failed (log: $CACHE/apt-update.log)"
    APT_UPDATED=1
}

ensure_packages() {
    local missing=() p st
    declare -A have=()
    # one dpkg-query for all packages (forks are slow on some CI machines)
    while read -r p st; do
        [[ $st == "install ok installed" ]] && have[${p%%:*}]=1
    done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true)
    for p in "$@"; do [[ -n ${have[$p]:-} ]] || missing+=("$p"); done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ $EUID -eq 0 ]] || die "missing packages (${missing[*]}) and not root; install them first"
    log "installing: ${missing[*]}"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}")
    if ! "${apt[@]}" >"$CACHE/apt.log" 2>&1; then
        apt_update_once
        if ! "${apt[@]}" >"$CACHE/apt.log" 2>&1; then
            tail -n 20 "$CACHE/apt.log" >&2
            die "apt-get install ${missing[*]} failed (log: $CACHE/apt.log)"
        fi
    fi
}

# qemu-system-x86 pulls seabios (the BIOS) via qemu-system-data; name it
# anyway since -kernel boot needs it. util-linux: flock; coreutils: timeout.
ensure_packages qemu-system-x86 seabios busybox-static cpio gzip xz-utils kmod util-linux coreutils
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || BUSYBOX=$(command -v busybox) || die "busybox not found"
# the initramfs has no libc, so the busybox we ship must be static
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; install busybox-static"
fi
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found"

# ---------------------------------------------------------------- kernel
# The cache holds one directory per versioned kernel package:
#   $CACHE/<pkg>/root/    dpkg-deb -x of the package (vmlinuz, config, modules)
#   $CACHE/<pkg>/vmlinux  the decompressed kernel, booted through PVH: saves
#                         the ~3 s the xz decompressor takes under TCG
#   $CACHE/<pkg>/ok       stamp written once extraction completed
#   $CACHE/resolved       the package linux-image-amd64 pointed to last time
#                         (re-resolved when the apt lists change)
apt_depends_kernel() {
    apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}

cached_kernels() {
    local d
    for d in "$CACHE"/linux-image-*/ok; do
        [[ -e $d ]] && basename "$(dirname "$d")"
    done | sort -V
}

resolve_kernel_pkg() {
    if [[ -n ${CAPSA_VMTEST_KERNEL_PKG:-} ]]; then
        echo "$CAPSA_VMTEST_KERNEL_PKG"; return 0
    fi
    local pkg='' stamp=$CACHE/resolved
    # apt-cache takes seconds here; skip it while the apt lists are unchanged
    if [[ -s $stamp ]] && [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' \
                                   -newer "$stamp" -print -quit 2>/dev/null) ]]; then
        pkg=$(<"$stamp")
    fi
    [[ -n $pkg ]] || pkg=$(apt_depends_kernel)
    if [[ -z $pkg ]]; then
        # no package lists? use a cached kernel if there is one
        pkg=$(cached_kernels | tail -n1)
        if [[ -z $pkg ]]; then
            apt_update_once
            pkg=$(apt_depends_kernel)
        fi
    fi
    [[ -n $pkg ]] || die "cannot resolve the kernel package behind linux-image-amd64"
    printf '%s\n' "$pkg" >"$stamp.$$" && mv -f "$stamp.$$" "$stamp"
    echo "$pkg"
}

fetch_kernel() {   # $1 = package name; populates $CACHE/$1
    local pkg=$1 dir=$CACHE/$1
    [[ -e $dir/ok ]] && return 0
    log "downloading kernel package $pkg into $CACHE"
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp/dl"
    # apt-get download drops privileges to _apt when it can write the target
    chmod 755 "$dir.tmp" && chmod 777 "$dir.tmp/dl"
    if ! (cd "$dir.tmp/dl" && apt-get download -q "$pkg" >&2); then
        apt_update_once
        (cd "$dir.tmp/dl" && apt-get download -q "$pkg" >&2) \
            || { rm -rf "$dir.tmp"; die "apt-get download $pkg failed"; }
    fi
    local deb
    deb=$(ls "$dir.tmp/dl"/*.deb 2>/dev/null | head -n1)
    [[ -n $deb ]] || { rm -rf "$dir.tmp"; die "apt-get download produced no .deb"; }
    log "extracting $(basename "$deb")"
    dpkg-deb -x "$deb" "$dir.tmp/root" || { rm -rf "$dir.tmp"; die "dpkg-deb -x failed"; }
    rm -rf "$dir.tmp/dl"
    ls "$dir.tmp/root"/boot/vmlinuz-* >/dev/null 2>&1 \
        || { rm -rf "$dir.tmp"; die "no /boot/vmlinuz-* in $pkg"; }
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    touch "$dir/ok"
    # a newer kernel replaces the older ones (~400 MB each once extracted),
    # unless a kernel was pinned with CAPSA_VMTEST_KERNEL_PKG
    [[ -z ${CAPSA_VMTEST_KERNEL_PKG:-} ]] || return 0
    local old
    for old in "$CACHE"/linux-image-*/; do
        old=${old%/}
        [[ $old == "$dir" || $old == *.tmp ]] && continue
        log "removing the superseded kernel ${old##*/} from the cache"
        rm -rf "$old"
    done
}

# Decompress the bzImage payload (like the kernel's scripts/extract-vmlinux)
# so qemu can load the ELF directly via its PVH entry point.
make_vmlinux() {   # $1 = package dir
    local dir=$1 bz cfg off magic tool
    [[ -e $dir/vmlinux || -e $dir/vmlinux.unusable ]] && return 0
    bz=$(ls "$dir"/root/boot/vmlinuz-* | head -n1)
    cfg=$(ls "$dir"/root/boot/config-* 2>/dev/null | head -n1)
    if [[ -z $cfg ]] || ! grep -q '^CONFIG_PVH=y' "$cfg"; then
        touch "$dir/vmlinux.unusable"; return 0
    fi
    for magic in xz zstd gzip; do
        case $magic in
            xz)   tool=(xz -dc);   off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$bz" 2>/dev/null | head -n1) ;;
            zstd) command -v zstd >/dev/null || continue
                  tool=(zstd -dc); off=$(LC_ALL=C grep -abo $'\x28\xb5\x2f\xfd' "$bz" 2>/dev/null | head -n1) ;;
            gzip) tool=(gzip -dc); off=$(LC_ALL=C grep -abo $'\x1f\x8b\x08' "$bz" 2>/dev/null | head -n1) ;;
        esac
        off=${off%%:*}
        [[ -n $off ]] || continue
        tail -c +"$((off + 1))" "$bz" | "${tool[@]}" >"$dir/vmlinux.tmp" 2>/dev/null || true
        if [[ -s $dir/vmlinux.tmp && $(LC_ALL=C head -c 4 "$dir/vmlinux.tmp") == $'\x7fELF' ]]; then
            mv -f "$dir/vmlinux.tmp" "$dir/vmlinux"
            return 0
        fi
    done
    rm -f "$dir/vmlinux.tmp"
    touch "$dir/vmlinux.unusable"
}

# The package ships no modules.dep (its postinst runs depmod): make one.
make_moddep() {   # $1 = package dir
    local m
    for m in "$1"/root/lib/modules/*/; do
        m=${m%/}
        [[ -d $m && ! -s $m/modules.dep ]] || continue
        depmod -b "$1/root" "${m##*/}" 2>/dev/null \
            || "$BUSYBOX" depmod -b "$1/root" "${m##*/}" \
            || log "warning: depmod failed for ${m##*/}; --module will not work"
    done
}

KPKG=$(resolve_kernel_pkg)
(
    flock -w 1200 9 || die "timed out waiting for the cache lock $CACHE/.lock"
    fetch_kernel "$KPKG"
    make_vmlinux "$CACHE/$KPKG"
    make_moddep "$CACHE/$KPKG"
) 9>"$CACHE/.lock"
KROOT=$CACHE/$KPKG/root
VMLINUZ=$(ls "$KROOT"/boot/vmlinuz-* | head -n1)
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR=$KROOT/lib/modules/$KVER
KCONFIG=$KROOT/boot/config-$KVER
BOOT_KERNEL=$VMLINUZ
if [[ -s $CACHE/$KPKG/vmlinux && ${CAPSA_VMTEST_PVH:-1} != 0 ]]; then
    BOOT_KERNEL=$CACHE/$KPKG/vmlinux
fi

# ---------------------------------------------------------------- initramfs
TMP=$(mktemp -d "${TMPDIR:-/tmp}/capsa-vmtest.XXXXXX")
QEMU_PID=
READER_PID=
WATCH_PID=
cleanup() {
    local p
    for p in $QEMU_PID $WATCH_PID; do kill "$p" 2>/dev/null || true; done
    # a reader still blocked opening the console FIFO gets EOF this way
    if [[ -n $READER_PID && -p $TMP/console ]]; then
        { exec 7<>"$TMP/console"; exec 7>&-; } 2>/dev/null || true
    fi
    if [[ -n ${CAPSA_VMTEST_KEEP:-} ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

ROOT=$TMP/root
mkdir -p "$ROOT"
(
    cd "$ROOT"
    mkdir -p usr/bin usr/sbin usr/lib usr/local/bin usr/local/sbin \
             proc sys dev tmp run root etc vmtest mnt var/tmp
    # mirror merged-/usr like the host, so library paths from ldd resolve
    for d in bin sbin lib lib64; do
        if [[ -L /$d && $(readlink "/$d") == usr/$d ]]; then
            ln -s "usr/$d" "$d"
            mkdir -p "usr/$d"
        else
            mkdir -p "$d"
        fi
    done
    chmod 1777 tmp var/tmp
    chmod 700 root
)
# the kernel's built-in initramfs already has /dev/console, but an explicit
# node does no harm when we are allowed to create one
mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$ROOT/dev/null" c 1 3 2>/dev/null || true

cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
echo capsa-vmtest >"$ROOT/etc/hostname"

inside_root() {   # does staging path $1 stay inside $ROOT after symlinks?
    local r
    r=$(realpath -m "$1") || return 1
    [[ $r == "$ROOT" || $r == "$ROOT"/* ]]
}

is_elf() {   # bash builtins only: no fork per file
    local m=
    [[ -f $1 && -r $1 ]] || return 1
    LC_ALL=C IFS= read -r -d '' -N 4 m <"$1" 2>/dev/null || true
    [[ $m == $'\x7fELF' ]]
}

declare -A LIBS_DONE=()
copy_libs_of() {   # copy the shared libraries + loader an ELF file needs
    local f=$1 line lib out
    out=$(LC_ALL=C ldd "$f" 2>/dev/null) || return 0    # static or not loadable
    while IFS= read -r line; do
        lib=
        case "$line" in
            *"=> not found"*) log "warning: $f: ${line%% =>*} not found by ldd"; continue ;;
            *" => /"*)  lib=${line#*=> }; lib=${lib%% (*} ;;
            [[:space:]]/*) lib=${line#"${line%%[![:space:]]*}"}; lib=${lib%% (*} ;;
        esac
        [[ -n $lib && $lib == /* ]] || continue
        [[ -n ${LIBS_DONE[$lib]:-} ]] && continue
        LIBS_DONE[$lib]=1
        if [[ ! -e $ROOT$lib ]]; then
            inside_root "$ROOT$lib" || die "library path $lib resolves outside the initramfs"
            mkdir -p "$(dirname "$ROOT$lib")"
            cp -L --preserve=mode,timestamps "$lib" "$ROOT$lib" \
                || die "cannot copy library $lib (needed by $f)"
        fi
    done <<<"$out"
}

copy_libs_under() {   # $1 = path inside the staging root that was just copied
    local p=$1 f
    if [[ -d $p && ! -L $p ]]; then
        while IFS= read -r -d '' f; do
            if is_elf "$f"; then copy_libs_of "$f"; fi
        done < <(find "$p" -type f \( -perm /111 -o -name '*.so' -o -name '*.so.*' \) -print0)
    elif is_elf "$p"; then
        copy_libs_of "$p"
    fi
    return 0
}

for spec in "${COPIES[@]}"; do
    host=$spec vm=
    if [[ $spec == *:* ]]; then host=${spec%%:*}; vm=${spec#*:}; fi
    [[ -e $host ]] || die "--copy: '$host' does not exist"
    habs=$(realpath -s "$host")
    [[ -n $vm ]] || vm=$habs
    [[ $vm == /* ]] || die "--copy: VM path '$vm' must be absolute"
    [[ $vm == */ ]] && vm=${vm%/}/$(basename "$habs")
    vm=$(realpath -m -s "$vm")
    [[ $vm != / ]] || die "--copy: cannot copy onto /"
    # a file copied onto an existing directory goes into it, like cp
    [[ ! -d $host && -d $ROOT$vm && ! -L $ROOT$vm ]] && vm=${vm%/}/$(basename "$habs")
    mkdir -p "$ROOT$(dirname "$vm")"
    inside_root "$ROOT$vm" || die "--copy: $vm resolves outside the initramfs (through a copied symlink?)"
    if [[ -d $host && ! -L $ROOT$vm && -d $ROOT$vm ]]; then
        # a directory copied onto an existing one is merged into it
        cp -a -H "$host/." "$ROOT$vm/" || die "--copy: copying $host failed"
    else
        rm -rf "${ROOT:?}$vm" 2>/dev/null || true
        cp -a -H "$host" "$ROOT$vm" || die "--copy: copying $host failed"
    fi
    copy_libs_under "$ROOT$vm"
done

# busybox; /init creates the applet links (busybox --install -s never
# replaces an existing file, so copied-in programs win). Only /bin/sh is
# needed up front. (Creating ~270 links here costs ~15 s of forks on a slow
# host, in the guest it is one process.)
cp "$BUSYBOX" "$ROOT/bin/busybox.tmp" && mv -f "$ROOT/bin/busybox.tmp" "$ROOT/bin/busybox"
# /bin/sh: the host's dash if there is one. Debian's busybox sh is built
# with FEATURE_SH_STANDALONE, i.e. it runs its own applet even when a real
# program of that name was copied in (`sh -c "ip link add ... type veth"`
# would get busybox's ip); dash looks programs up in PATH like a normal shell.
if [[ ! -e $ROOT/bin/sh && ! -L $ROOT/bin/sh ]]; then
    DASH=$(command -v dash || true)
    if [[ -n $DASH && -x $DASH ]]; then
        DASH=$(realpath "$DASH")
        mkdir -p "$ROOT$(dirname "$DASH")"
        [[ -e $ROOT$DASH ]] || cp -L --preserve=mode "$DASH" "$ROOT$DASH"
        copy_libs_of "$DASH"
        ln -s "$DASH" "$ROOT/bin/sh"
    else
        log "warning: no dash on the host; /bin/sh is busybox sh, which prefers its applets over copied programs"
        ln -s busybox "$ROOT/bin/sh"
    fi
fi
# the kernel config, for bpftool feature probe and libbpf's __kconfig externs
if [[ -f $KCONFIG ]]; then
    mkdir -p "$ROOT/boot"
    cp "$KCONFIG" "$ROOT/boot/config-$KVER"
fi

# kernel modules: kmod resolves dependencies and softdeps (e.g. libcrc32c
# needs the crc32c crypto module) into an insmod order for the guest
declare -A MOD_SEEN=()
MOD_ORDER=()
if [[ ${#MODULES[@]} -gt 0 ]]; then
    [[ -s $MODDIR/modules.dep ]] || die "no modules.dep in $MODDIR"
    for m in "${MODULES[@]}"; do
        out=$(modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>&1) \
            || die "module '$m' not found for kernel $KVER: $out"
        while read -r kind path _; do
            case $kind in
                insmod)
                    rel=${path#"$MODDIR"/}
                    [[ -n ${MOD_SEEN[$rel]:-} ]] && continue
                    MOD_SEEN[$rel]=1
                    MOD_ORDER+=("$rel") ;;
                builtin) log "module $path is built into $KVER; nothing to load" ;;
            esac
        done <<<"$out"
    done
    : >"$ROOT/vmtest/modules"
    for rel in "${MOD_ORDER[@]}"; do
        mkdir -p "$ROOT/lib/modules/$KVER/$(dirname "$rel")"
        cp "$MODDIR/$rel" "$ROOT/lib/modules/$KVER/$rel"
        echo "/lib/modules/$KVER/$rel" >>"$ROOT/vmtest/modules"
    done
fi

# ---- run configuration for /init
squote() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
{
    echo "VMTEST_NONCE=$(squote "$NONCE")"
    echo "VMTEST_WORKDIR=$(squote "$WORKDIR")"
    for e in "${ENVS[@]}"; do echo "export ${e%%=*}=$(squote "${e#*=}")"; done
} >"$ROOT/vmtest/config"
{
    printf 'exec'
    for a in "${CMD[@]}"; do printf ' %s' "$(squote "$a")"; done
    printf '\n'
} >"$ROOT/vmtest/cmd"

cat >"$ROOT/init" <<'INIT'
#!/bin/sh
# capsa vmtest /init (PID 1; /bin/sh is dash, the tools are busybox applets)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

# pivot_root(2) refuses the initramfs (rootfs) as the old root, and container
# runtimes need it: move everything to a tmpfs and make that the root.
if [ -z "${VMTEST_SWITCHED:-}" ]; then
    /bin/busybox mkdir -p /newroot
    /bin/busybox mount -t tmpfs -o mode=755 tmpfs /newroot
    for d in /* /.[!.]*; do
        [ -e "$d" ] && [ "$d" != /newroot ] && /bin/busybox cp -a "$d" /newroot/
    done
    export VMTEST_SWITCHED=1
    exec /bin/busybox switch_root /newroot /init
fi

/bin/busybox --install -s
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
exec </dev/null >/dev/console 2>&1
msg() { echo "[vmtest] $*"; }
echo    # the firmware may leave the cursor mid-line

mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
[ -e /dev/fd ]     || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ]  || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
# The root is already a tmpfs (see above): /tmp and /run are plain
# directories on it, so files copied under them (a build tree in /tmp) stay
# visible.
mkdir -p /tmp /run
chmod 1777 /tmp
chmod 755 /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || msg "WARNING: cannot mount cgroup2"
mount -t bpf -o mode=700 bpf /sys/fs/bpf || msg "WARNING: cannot mount bpffs"
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
if grep -qw debugfs /proc/filesystems; then
    mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
if grep -qw tracefs /proc/filesystems; then
    mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
fi
mount -t configfs configfs /sys/kernel/config 2>/dev/null

hostname capsa-vmtest
ip link set lo up || msg "WARNING: cannot bring up lo"

. /vmtest/config

if [ -s /vmtest/modules ]; then
    while read -r ko; do
        insmod "$ko" || msg "WARNING: insmod $ko failed"
    done </vmtest/modules
fi

msg "kernel: $(uname -r)"
msg "lsm: $(cat /sys/kernel/security/lsm 2>/dev/null || echo '<securityfs unavailable>')"
msg "cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)"
read -r up _ </proc/uptime
msg "booted in ${up}s; running command in $VMTEST_WORKDIR"
msg "----------------------------------------------------------------"

if cd "$VMTEST_WORKDIR"; then
    /bin/sh /vmtest/cmd </dev/null
    rc=$?
else
    msg "cannot cd to $VMTEST_WORKDIR"
    rc=125
fi
cd /

# flush the serial console before announcing the status: stty with a
# setting uses TCSADRAIN, which waits until the tty output is sent
stty -F /dev/console -tostop 2>/dev/null
echo
echo "CAPSA_VMTEST_EXIT=$rc run=$VMTEST_NONCE"
stty -F /dev/console -tostop 2>/dev/null
sync
poweroff -f
sleep 2
reboot -f
echo o >/proc/sysrq-trigger
sleep 30
INIT
chmod 755 "$ROOT/init" "$ROOT/vmtest/cmd"

INITRD=$TMP/initramfs.cpio.gz
cpio_owner=()
[[ $EUID -eq 0 ]] || cpio_owner=(--owner=+0:+0)
(cd "$ROOT" && find . -mindepth 1 -print0 | LC_ALL=C sort -z \
    | cpio --null -o -H newc --quiet "${cpio_owner[@]}") | gzip -1 >"$INITRD" \
    || die "building the initramfs failed"

# ---------------------------------------------------------------- boot
ACCEL=${CAPSA_VMTEST_ACCEL:-}
if [[ -z $ACCEL ]]; then
    ACCEL=tcg
    if [[ -c /dev/kvm ]] && { exec 8<>/dev/kvm; } 2>/dev/null; then
        exec 8>&-
        ACCEL=kvm
    fi
fi
case "$ACCEL" in
    kvm) ACCEL_ARGS=(-accel kvm -cpu max) ;;
    tcg) ACCEL_ARGS=(-accel "tcg,thread=multi" -cpu max) ;;
    *)   die "CAPSA_VMTEST_ACCEL must be kvm or tcg" ;;
esac

APPEND="console=ttyS0 rdinit=/init lsm=lockdown,capability,bpf panic=-1 quiet${EXTRA_APPEND}"
QEMU_ARGS=(
    -machine q35 "${ACCEL_ARGS[@]}" -m "$MEM" -smp "$SMP"
    -nographic -no-reboot -nic none
    -kernel "$BOOT_KERNEL" -initrd "$INITRD" -append "$APPEND"
)

log "kernel $KVER ($KPKG, $([[ $BOOT_KERNEL == */vmlinux ]] && echo 'PVH vmlinux' || echo bzImage)), accel=$ACCEL, mem=${MEM}M, smp=$SMP, timeout=${TIMEOUT}s," \
    "initramfs $(( $(stat -c %s "$INITRD") / 1024 )) KiB"
mkdir -p "$(dirname "$LOGFILE")"
: >"$LOGFILE"

mkfifo "$TMP/console"
# reader: strip the serial CRs, stream to stdout and into the log
sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' <"$TMP/console" | tee "$TMP/console.log" "$LOGFILE" &
READER_PID=$!
START=$(date +%s.%N)
# --pdeathsig: qemu dies with this script even if it is SIGKILLed
PDEATH=()
if setpriv --help 2>/dev/null | grep -q -- --pdeathsig; then PDEATH=(setpriv --pdeathsig KILL --); fi
"${PDEATH[@]}" "$QEMU" "${QEMU_ARGS[@]}" </dev/null >"$TMP/console" 2>&1 &
QEMU_PID=$!
sleep "$TIMEOUT" &
WATCH_PID=$!

TIMED_OUT=0
trap - ERR     # statuses below are expected to be non-zero at times
set +e
wait -n "$QEMU_PID" "$WATCH_PID"
if kill -0 "$QEMU_PID" 2>/dev/null; then
    # the watchdog fired first
    TIMED_OUT=1
    echo
    log "timeout after ${TIMEOUT}s, killing qemu"
    kill "$QEMU_PID" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$QEMU_PID" 2>/dev/null
fi
wait "$QEMU_PID" 2>/dev/null
QEMU_RC=$?
QEMU_PID=
kill "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID" 2>/dev/null
WATCH_PID=
wait "$READER_PID" 2>/dev/null
set -e
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR
END=$(date +%s.%N)
ELAPSED=$(awk -v a="$START" -v b="$END" 'BEGIN{printf "%.1f", b-a}')

RC=$(grep -a -o "CAPSA_VMTEST_EXIT=[0-9]* run=$NONCE" "$TMP/console.log" | tail -n1 \
     | sed -E 's/^CAPSA_VMTEST_EXIT=([0-9]+) .*/\1/' || true)
if [[ -z $RC ]]; then
    if [[ $TIMED_OUT == 1 ]]; then
        log "FAILED: the VM timed out after ${TIMEOUT}s before the command finished (log: $LOGFILE)"
    else
        log "FAILED: the VM exited (qemu status $QEMU_RC) without reporting the command's status" \
            "- boot failure or kernel panic? (log: $LOGFILE)"
    fi
    panic=$(grep -a -o -m1 'Kernel panic.*' "$TMP/console.log" || true)
    [[ -z $panic ]] || log "the guest said: $panic"
    exit "$EXIT_INFRA"
fi
log "command exited with status $RC (VM wall time ${ELAPSED}s)"
exit "$RC"
