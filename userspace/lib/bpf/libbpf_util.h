// What every capsa BPF object does with libbpf: route its log to spdlog,
// turn its -errno returns into Errors, pin maps for reuse across restarts
// and pin links so programs outlive capsad.
#pragma once

#include <bpf/bpf.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

struct bpf_object;
struct bpf_link;
struct bpf_program;

namespace capsa::bpf {

// Installs the spdlog-backed libbpf print callback (idempotent).
void route_libbpf_log();

// libbpf returns -errno; throws Error("<what>: <strerror>").
[[noreturn]] void throw_bpf(const std::string& what, int err);

// Mounts bpffs if needed and creates <pin_root>/maps and <pin_root>/links.
struct PinDirs {
  std::string maps, links;
};
PinDirs prepare_pin_dirs(const std::string& pin_root);

// Pins a freshly attached link at <links_dir>/<name>, replacing the old pin
// only after the new link is attached: no window without the program.
void pin_link(bpf_link* link, const std::string& links_dir, const std::string& name);

// Drops our fd of each link; pinned links stay attached.
void release_links(std::vector<bpf_link*>& links);

// Number of possible CPUs, the slot count of per-CPU map values.
int possible_cpus();

// Calls fn(key) for every key of the map behind fd (keys deleted meanwhile
// may be skipped, as with any get_next_key walk).
template <typename K, typename F>
void for_each_key(int fd, F&& fn) {
  K key{}, next{};
  K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    fn(next);
  }
}

// Calls fn(key, value) for every entry of the hash map behind fd, fetched in
// batches: one syscall per few hundred entries where a key walk takes two
// per entry. value_stride is the bytes of one value as the kernel copies it
// out (per-CPU maps: the value rounded up to 8 bytes, times possible CPUs).
// Walks the keys instead on kernels without batch lookups. Errors name `what`.
void for_each_entry(int fd, size_t key_size, size_t value_stride,
                    const std::function<void(const void* key, const void* value)>& fn, const std::string& what);

// The same for a map of K -> V (not per-CPU), handing out typed copies.
template <typename K, typename V, typename F>
void for_each_entry_as(int fd, F&& fn, const std::string& what) {
  for_each_entry(
      fd, sizeof(K), sizeof(V),
      [&](const void* key, const void* value) {
        K k;
        V v;
        std::memcpy(&k, key, sizeof k);
        std::memcpy(&v, value, sizeof v);
        fn(k, v);
      },
      what);
}

}  // namespace capsa::bpf
