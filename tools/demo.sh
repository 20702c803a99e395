#!/usr/bin/env bash
# The main job: a demo container running under capsad and a policy (it may
# not read /etc/secret), whose kernel-side counters and verdicts show up in
# capsad's Prometheus metrics and event log.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
capsa=$build/runtime/capsa
capsad=$build/userspace/capsad
listen=${CAPSA_DEMO_LISTEN:-127.0.0.1:9464}
bundle=$build/demo-bundle
id=capsa-demo

policies=$build/demo-policies

bash tools/mkbundle.sh "$bundle" "$capsa" >/dev/null
echo "the launch codes" > "$bundle/rootfs/etc/secret"
jq '.process.args = ["/bin/sh", "-c", "echo hello from capsa in $(hostname); echo pid $$; ls /; i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; cat /etc/secret; echo \"cat /etc/secret: exit status $?\"; echo done"]' \
  "$bundle/config.json" > "$bundle/config.json.tmp" && mv "$bundle/config.json.tmp" "$bundle/config.json"

mkdir -p "$policies"
cat > "$policies/demo.yaml" <<'POLICY'
apiVersion: capsa.io/v1
kind: Policy
metadata:
  name: demo
spec:
  selector: {containers: ["capsa-demo"]}
  files:
    rules:
      - name: no-secrets
        paths: [/etc/secret]
        access: [read]
        action: deny
POLICY
"$build/userspace/capsactl" policy validate "$policies/demo.yaml"

if curl -sf "http://$listen/metrics" >/dev/null 2>&1; then
  echo "demo: capsad already serving on $listen, reusing it"
  pid=$(pgrep -f "capsad --listen $listen" | head -1 || true)
else
  "$capsad" --listen "$listen" --root /run/capsa --policy-dir "$policies" --events "$build/capsad-events.jsonl" \
    > "$build/capsad.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://$listen/metrics" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "demo: capsad exited:"; cat "$build/capsad.log"; exit 1; }
    sleep 0.1
  done
  curl -sf "http://$listen/metrics" >/dev/null || { echo "demo: capsad did not answer on $listen"; cat "$build/capsad.log"; exit 1; }
fi

"$capsa" delete --force "$id" 2>/dev/null || true
echo "demo: running container $id (capsa run --bundle $bundle $id)"
# Detached, so the series is still there when we scrape; deleted right after.
"$capsa" run --detach --bundle "$bundle" "$id" > "$build/demo-out.txt" 2>&1
for _ in $(seq 1 100); do
  [ "$("$capsa" state "$id" | jq -r .status)" = stopped ] && break
  sleep 0.05
done
cat "$build/demo-out.txt"
echo
echo "demo: what capsad counted in the kernel for $id:"
curl -sf "http://$listen/metrics" | grep "container_id=\"$id\""
echo
echo "demo: the policy's verdicts (events):"
grep '"type":"policy"' "$build/capsad-events.jsonl" | grep "\"container_id\":\"$id\"" || echo "(none: a reused capsad may watch another policy directory)"
echo
"$build/userspace/capsactl" --root /run/capsa status | head -20 || true
"$capsa" delete "$id"
echo
echo "capsad is serving metrics at http://$listen/metrics (pid ${pid:-?}); events in $build/capsad-events.jsonl"
echo "stop it with: kill ${pid:-<pid>}"
