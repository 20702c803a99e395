#include "bpf/libbpf_util.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "bpf/bpffs.h"
#include "common/error.h"
#include "common/file_util.h"
#include "telemetry.h"

namespace capsa::bpf {

namespace {

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  std::string msg(buf, n > 0 ? std::min<size_t>(n, sizeof buf - 1) : 0);
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  if (level == LIBBPF_WARN)
    spdlog::warn("libbpf: {}", msg);
  else
    spdlog::debug("libbpf: {}", msg);
  return n;
}

}  // namespace

void route_libbpf_log() { libbpf_set_print(libbpf_log); }

void throw_bpf(const std::string& what, int err) { throw_sys(what, err < 0 ? -err : err); }

PinDirs prepare_pin_dirs(const std::string& pin_root) {
  std::string bpffs = pin_root.substr(0, pin_root.rfind('/'));
  if (!is_bpffs(bpffs) && !is_bpffs(pin_root)) ensure_bpffs_mounted(bpffs.empty() ? "/sys/fs/bpf" : bpffs);
  PinDirs dirs{pin_root + "/" + CAPSA_PIN_MAPS_DIR, pin_root + "/" + CAPSA_PIN_LINKS_DIR};
  make_dirs(dirs.maps, 0700);
  make_dirs(dirs.links, 0700);
  return dirs;
}

void pin_link(bpf_link* link, const std::string& links_dir, const std::string& name) {
  std::string path = links_dir + "/" + name;
  ::unlink(path.c_str());
  if (int err = bpf_link__pin(link, path.c_str())) throw_bpf("pin BPF link " + path, err);
}

void release_links(std::vector<bpf_link*>& links) {
  for (auto* link : links) {
    bpf_link__disconnect(link);
    bpf_link__destroy(link);
  }
  links.clear();
}

int possible_cpus() {
  int n = libbpf_num_possible_cpus();
  if (n <= 0) throw_bpf("count possible CPUs", n);
  return n;
}

void for_each_entry(int fd, size_t key_size, size_t value_stride,
                    const std::function<void(const void* key, const void* value)>& fn, const std::string& what) {
  __u32 chunk = 256;
  std::vector<char> keys(chunk * key_size), values(chunk * value_stride);
  // The batch position: a bucket index for hash maps, the last key for the
  // generic batch ops of arrays and LPM tries (key_size bytes).
  std::vector<char> in(std::max<size_t>(key_size, 8)), out(in.size());
  bool first = true;
  for (;;) {
    __u32 n = chunk;
    int rc = bpf_map_lookup_batch(fd, first ? nullptr : in.data(), out.data(), keys.data(), values.data(), &n, nullptr);
    int err = rc ? errno : 0;
    if (err == ENOSPC && n == 0) {
      // One bucket holds more entries than fit: ask again with more room.
      chunk *= 2;
      keys.resize(chunk * key_size);
      values.resize(chunk * value_stride);
      continue;
    }
    if (err && err != ENOENT) {
      // The kernel's ENOTSUPP (524, no libc name): a map type without batch ops.
      if (first && (err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == ENOSYS || err == 524)) break;
      throw_sys("read BPF map " + what, err);
    }
    for (__u32 i = 0; i < n; ++i) fn(keys.data() + i * key_size, values.data() + i * value_stride);
    if (err == ENOENT) return;  // that was the last batch
    in.swap(out);
    first = false;
  }
  // No batch lookups here: a key walk, one lookup per key.
  std::vector<char> key(key_size), next(key_size), value(value_stride);
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
    key = next;
    prev = key.data();
    if (bpf_map_lookup_elem(fd, key.data(), value.data()) == 0) fn(key.data(), value.data());
  }
}

}  // namespace capsa::bpf
