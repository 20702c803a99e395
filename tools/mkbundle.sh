#!/usr/bin/env bash
# mkbundle.sh BUNDLE_DIR [CAPSA_BINARY]
# Builds an OCI bundle: a busybox root file system from Debian's
# busybox-static, and a config.json from `capsa spec` with the terminal off.
set -euo pipefail

bundle=${1:?usage: mkbundle.sh BUNDLE_DIR [CAPSA_BINARY]}
here=$(cd "$(dirname "$0")/.." && pwd)
capsa=${2:-$here/build/runtime/capsa}
busybox=/bin/busybox

capsa=$(realpath "$capsa" 2>/dev/null || echo "$capsa")
[ -x "$capsa" ] || { echo "mkbundle: capsa binary not found: $capsa (build first)" >&2; exit 1; }
[ -x "$busybox" ] || { echo "mkbundle: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
ldd_out=$(LC_ALL=C ldd "$busybox" 2>&1 || true)
if ! grep -q "not a dynamic executable" <<<"$ldd_out"; then
  echo "mkbundle: $busybox is not static: install busybox-static" >&2
  exit 1
fi

mkdir -p "$bundle"
rootfs="$bundle/rootfs"
rm -rf "$rootfs" "$bundle/config.json"
mkdir -p "$rootfs"/{bin,sbin,dev,proc,sys,tmp,etc,root,run,var/tmp,usr/bin,usr/sbin}
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo capsa > "$rootfs/etc/hostname"

(cd "$bundle" && "$capsa" spec)
jq '.process.terminal = false' "$bundle/config.json" > "$bundle/config.json.tmp"
mv "$bundle/config.json.tmp" "$bundle/config.json"
echo "mkbundle: bundle ready in $bundle"
