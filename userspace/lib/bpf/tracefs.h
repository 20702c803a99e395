// tracefs, where libbpf looks up the perf event id of each per-syscall
// tracepoint it attaches a program to. systemd mounts it at boot; a host
// without systemd (Debian's minimal images, this project's CI machines) has
// it nowhere, and every `tracepoint/syscalls/...` attach then fails with
// ENOENT.
#pragma once

#include <string>

namespace capsa::bpf {

// Mounts tracefs on /sys/kernel/tracing unless libbpf already finds it
// there or under debugfs. Returns "" when tracefs is reachable, otherwise
// why it is not (the caller decides whether that is fatal).
std::string ensure_tracefs_mounted();

}  // namespace capsa::bpf
