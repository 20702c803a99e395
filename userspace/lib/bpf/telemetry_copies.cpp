// The telemetry's copies for cgroups beneath containers' (telemetry.h): the
// ones the kernel did not make, and the sweep of the ones left behind.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "bpf/copy_counts.h"
#include "bpf/libbpf_util.h"
#include "bpf/telemetry_loader.h"
#include "cgroup/cgroups_beneath.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "telemetry.skel.h"

namespace capsa::bpf {

bool Telemetry::copy_cgroups_beneath(uint64_t container, const std::string& dir) {
  if (!cgroup::has_cgroups_beneath(dir)) return false;
  const int copies = bpf_map__fd(skel_->maps.container_copies);
  const int containers = bpf_map__fd(skel_->maps.containers);
  const int counts = bpf_map__fd(skel_->maps.copy_counts);
  // Its level is left to the kernel (telemetry.h): in a cgroup namespace
  // the path here does not tell it.
  const capsa_container_copy copy{container, 0, 0};
  int64_t held = 0;
  // The copies the container holds first: the quota is on the whole tree.
  std::vector<std::pair<std::string, uint64_t>> uncopied;
  cgroup::for_each_cgroup_beneath(dir, "telemetry of cgroup " + std::to_string(container),
                                  [&](const std::string& path, uint64_t id) {
                                    capsa_container registered{};
                                    // A container nested in this one: its own.
                                    if (bpf_map_lookup_elem(containers, &id, &registered) == 0) return false;
                                    capsa_container_copy have{};
                                    if (bpf_map_lookup_elem(copies, &id, &have) == 0 && have.home == container)
                                      ++held;
                                    else
                                      uncopied.emplace_back(path, id);
                                    return true;
                                  });
  // More counted than the walk saw: a cgroup removed while it walked, or a
  // count off since the last sweep. The quota goes by the higher, and
  // the caller sweeps, which puts the count right.
  const int64_t counted = copy_count_of(counts, container);
  const bool drifted = counted > held;
  if (uncopied.empty()) return drifted;
  held = std::max(held, counted);
  // Before any copy: a task in one must not be filtered out as the host's.
  const uint32_t zero = 0, one = 1;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.copies_made), &zero, &one, BPF_ANY) != 0)
    throw_sys("write BPF map copies_made");
  const int64_t all = copy_count_of(counts, 0);
  int64_t added = 0, refused = 0;
  for (const auto& [path, id] : uncopied) {
    if (held >= CAPSA_COPIES_PER_CONTAINER || all + added >= CAPSA_MAX_COPIES) {
      ++refused;
      continue;
    }
    if (cgroup_marks_) {
      UniqueFd cg(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!cg) continue;  // removed since it was listed
      int key = cg.get();
      if (bpf_map_update_elem(bpf_map__fd(skel_->maps.copy_cgroups), &key, &copy, BPF_ANY) != 0) {
        spdlog::warn("telemetry: copy cgroup {} as container cgroup {}'s: {}", path, container, errno_text(errno));
        continue;
      }
    }
    // BPF_ANY: a copy for a container this one is nested in, made before
    // this one was registered, moves to this one.
    if (bpf_map_update_elem(copies, &id, &copy, BPF_ANY) != 0) {
      spdlog::warn("telemetry: copy cgroup {} as container cgroup {}'s: {}", path, container, errno_text(errno));
      continue;
    }
    if (!cgroup::still_there(path, id)) {
      bpf_map_delete_elem(copies, &id);
      continue;
    }
    ++held;
    ++added;
  }
  // Counted as the kernel counts its own, but not atomically with it: the
  // caller sweeps, which makes the counts again from the copies.
  if (added && !count_copies_added(counts, container, added)) throw_sys("write BPF map copy_counts");
  if (refused && quota_told_.insert(container).second)
    spdlog::warn("telemetry: {} cgroups beneath {} are not counted as its container's: it holds {} of {} allowed "
                 "({} in all of {})",
                 refused, dir, held, CAPSA_COPIES_PER_CONTAINER, all + added, CAPSA_MAX_COPIES);
  return added > 0 || drifted;
}

void Telemetry::sweep_copies() {
  const int copies = bpf_map__fd(skel_->maps.container_copies);
  const int containers = bpf_map__fd(skel_->maps.containers);
  const int counts = bpf_map__fd(skel_->maps.copy_counts);
  auto registered = [&](uint64_t id) {
    capsa_container c{};
    return bpf_map_lookup_elem(containers, &id, &c) == 0;
  };
  const HeldCounts before = read_counts(counts, "copy_counts");
  HeldCounts held;
  std::vector<uint64_t> doomed;
  for_each_entry_as<uint64_t, capsa_container_copy>(
      copies,
      [&](uint64_t id, const capsa_container_copy& c) {
        if (registered(c.home)) {
          ++held[c.home];
          ++held[0];
        } else {
          doomed.push_back(id);
        }
      },
      "container_copies");
  // Read again just before it goes: the walk may have moved it to a
  // container registered since. Its cgroup storage, where there is one, is
  // left to go with the cgroup: the per-syscall program checks its
  // container's mark is still there.
  for (uint64_t id : doomed) {
    capsa_container_copy c{};
    if (bpf_map_lookup_elem(copies, &id, &c) == 0 && !registered(c.home)) bpf_map_delete_elem(copies, &id);
  }
  settle_counts(counts, before, held, registered, copy_count_deferrals_, "copy_counts");
  std::erase_if(quota_told_, [&](uint64_t id) { return !registered(id); });
}

}  // namespace capsa::bpf
