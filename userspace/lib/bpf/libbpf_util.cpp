#include "bpf/libbpf_util.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
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

void set_map_pins(bpf_object* obj, const std::string& maps_dir) {
  struct bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    std::string path = maps_dir + "/" + bpf_map__name(map);
    if (int err = bpf_map__set_pin_path(map, path.c_str())) throw_bpf("set pin path of BPF map " + path, err);
  }
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

}  // namespace capsa::bpf
