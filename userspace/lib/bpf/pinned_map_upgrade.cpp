#include "bpf/pinned_map_upgrade.h"

#include <bpf/libbpf.h>
#include <dirent.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "bpf/libbpf_util.h"
#include "common/error.h"

namespace capsa::bpf {
namespace {

bool per_cpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

bool is_array(uint32_t type) { return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY; }

// An LRU map takes every update, evicting to make room.
bool is_lru(uint32_t type) { return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH; }

constexpr const char* kTmpSuffix = "__upgrade";  // bpffs refuses names with a dot

void remove_leftover_tmp_pins(const std::string& maps_dir) {
  DIR* d = ::opendir(maps_dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != kTmpSuffix && name.ends_with(kTmpSuffix) && ::unlinkat(::dirfd(d), e->d_name, 0) == 0)
      spdlog::info("removed {}/{}, left by a capsad killed while it upgraded the maps", maps_dir, name);
  }
  ::closedir(d);
}

// Maps whose entries user space can list and write back by key.
bool listable(uint32_t type) {
  switch (type) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LPM_TRIE:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return true;
    default:
      return false;
  }
}

std::string layout(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags) {
  const char* name = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(type));
  return fmt::format("{}, key {} B, value {} B, {} entries, flags {:#x}", name ? name : std::to_string(type), key_size,
                     value_size, max_entries, flags);
}

std::string layout_of(const bpf_map_info& i) {
  return layout(i.type, i.key_size, i.value_size, i.max_entries, i.map_flags);
}

std::string layout_of(const bpf_map* m) {
  return layout(bpf_map__type(m), bpf_map__key_size(m), bpf_map__value_size(m), bpf_map__max_entries(m),
                bpf_map__map_flags(m));
}

// What libbpf compares before it reuses a pinned map.
bool reusable(const bpf_map_info& i, const bpf_map* m) {
  return i.type == bpf_map__type(m) && i.key_size == bpf_map__key_size(m) && i.value_size == bpf_map__value_size(m) &&
         i.max_entries == bpf_map__max_entries(m) && i.map_flags == bpf_map__map_flags(m) &&
         i.map_extra == bpf_map__map_extra(m);
}

// Why the entries of old cannot go into m, or empty if they can.
std::string why_not_carried(const bpf_map_info& old, const bpf_map* m) {
  if (old.type != bpf_map__type(m)) return "the map type changed";
  if (!listable(old.type)) return "entries of this map type cannot be listed";
  if (old.key_size != bpf_map__key_size(m)) return "the key changed";
  if (old.value_size > bpf_map__value_size(m)) return "the value shrank";
  return {};
}

size_t round_up8(size_t n) { return (n + 7) & ~size_t{7}; }

bool all_zero(const void* p, size_t n) {
  auto* c = static_cast<const unsigned char*>(p);
  return std::all_of(c, c + n, [](unsigned char b) { return b == 0; });
}

}  // namespace

PinnedMapUpgrade PinnedMapUpgrade::set_map_pins(bpf_object* obj, const std::string& maps_dir) {
  PinnedMapUpgrade up;
  remove_leftover_tmp_pins(maps_dir);
  struct bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    // .rodata and kin hold what this load was configured with: never an
    // earlier capsad's (and a frozen .rodata cannot be reused anyway).
    if (bpf_map__is_internal(map)) continue;
    std::string path = maps_dir + "/" + bpf_map__name(map);
    if (int err = bpf_map__set_pin_path(map, path.c_str())) throw_bpf("set pin path of BPF map " + path, err);
    UniqueFd old(bpf_obj_get(path.c_str()));
    if (!old) {
      if (errno == ENOENT) continue;
      throw_sys("open pinned BPF map " + path);
    }
    bpf_map_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(old.get(), &info, &len) != 0) throw_sys("read what pinned BPF map " + path + " is");
    if (reusable(info, map)) continue;
    if (int err = bpf_map__set_pin_path(map, nullptr)) throw_bpf("take BPF map " + path + " out of the reuse", err);
    up.stale_.push_back(Stale{map, path, std::move(old), info});
  }
  return up;
}

void PinnedMapUpgrade::carry_over_and_pin() {
  struct Carried {
    Stale* stale;
    std::string tmp;
    std::string outcome;
  };
  std::vector<Carried> done;
  // Removes the temporary pins not renamed yet if anything below throws:
  // the old pins stay where no new map took their place.
  struct TmpPins {
    std::vector<Carried>& done;
    ~TmpPins() {
      for (auto& c : done)
        if (!c.tmp.empty()) ::unlink(c.tmp.c_str());
    }
  } tmp_pins{done};

  int cpus = 0;
  for (auto& s : stale_) {
    int new_fd = bpf_map__fd(s.map);
    if (new_fd < 0) continue;  // not made by this load (autocreate off): the old pin stays
    std::string outcome;
    std::string reason = why_not_carried(s.old_info, s.map);
    if (!reason.empty()) {
      outcome = "replaced by an empty one (" + reason +
                "): capsad's first sync writes again what it owns there, counts kept there restart at zero";
    } else {
      uint32_t type = s.old_info.type;
      size_t old_size = s.old_info.value_size, new_size = bpf_map__value_size(s.map);
      size_t old_stride = old_size, new_stride = new_size, old_slot = old_size, new_slot = new_size;
      if (per_cpu(type)) {
        if (cpus == 0) cpus = possible_cpus();
        old_slot = round_up8(old_size);
        new_slot = round_up8(new_size);
        old_stride = old_slot * cpus;
        new_stride = new_slot * cpus;
      }
      std::vector<char> value(new_stride);
      size_t n = 0;
      for_each_entry(
          s.old.get(), s.old_info.key_size, old_stride,
          [&](const void* key, const void* old_value) {
            // Every index of an array is there; only those holding
            // something need a place in the new one.
            if (is_array(type) && all_zero(old_value, old_stride)) return;
            std::fill(value.begin(), value.end(), 0);
            for (size_t slot = 0; slot * old_slot < old_stride; ++slot)
              std::memcpy(value.data() + slot * new_slot, static_cast<const char*>(old_value) + slot * old_slot,
                          old_size);
            ++n;
            int err = 0;
            if (is_lru(type) && n > bpf_map__max_entries(s.map))
              err = E2BIG;
            else if (bpf_map_update_elem(new_fd, key, value.data(), BPF_ANY) != 0)
              err = errno;
            if (err)
              throw MapCarryOverFailed(fmt::format("carry entry {} of pinned BPF map {} ({}) over into this capsad's "
                                                   "({}): {}; `capsad --unpin` removes the old maps",
                                                   n, s.path, layout_of(s.old_info), layout_of(s.map),
                                                   errno_text(err)),
                                       err);
          },
          s.path);
      outcome = fmt::format("{} entr{} carried over into a new one", n, n == 1 ? "y" : "ies");
    }
    std::string tmp = s.path + kTmpSuffix;
    ::unlink(tmp.c_str());
    if (bpf_obj_pin(new_fd, tmp.c_str()) != 0) throw_sys("pin the new BPF map at " + tmp);
    done.push_back(Carried{&s, tmp, std::move(outcome)});
  }
  // Every copy made: the renames swap each pin in one step, so whoever
  // opens the path (the runtime, the next capsad) finds one map or the other.
  for (auto& c : done) {
    if (::rename(c.tmp.c_str(), c.stale->path.c_str()) != 0)
      throw_sys("put the new BPF map " + c.tmp + " in the place of " + c.stale->path);
    c.tmp.clear();
    spdlog::warn("pinned BPF map {} was made by another capsad version ({}; this one needs {}): {}", c.stale->path,
                 layout_of(c.stale->old_info), layout_of(c.stale->map), c.outcome);
  }
  stale_.clear();
}

}  // namespace capsa::bpf
