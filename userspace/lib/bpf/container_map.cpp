#include "bpf/container_map.h"

#include <bpf/bpf.h>
#include <fcntl.h>

#include <cstring>
#include <memory>

#include "cgroup/layout.h"
#include "common/error.h"

namespace capsa::bpf {

namespace {

constexpr int kFileidKernfs = 0xfe;  // include/linux/exportfs.h FILEID_KERNFS

}  // namespace

UniqueFd open_cgroup2_mount() {
  auto layout = cgroup::detect_layout();
  if (!layout.unified) throw Error("open the cgroup v2 mount: this host has none");
  UniqueFd mnt(::open(layout.unified->mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!mnt) throw_sys("open the cgroup v2 mount " + layout.unified->mount_point);
  return mnt;
}

UniqueFd open_cgroup_by_id(int cgroup2_mount_fd, uint64_t cgroup_id) {
  struct {
    struct file_handle fh;
    unsigned char bytes[8];
  } handle{};
  handle.fh.handle_bytes = sizeof handle.bytes;
  handle.fh.handle_type = kFileidKernfs;
  std::memcpy(handle.fh.f_handle, &cgroup_id, sizeof cgroup_id);
  UniqueFd fd(::open_by_handle_at(cgroup2_mount_fd, &handle.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_sys("open cgroup " + std::to_string(cgroup_id) + " by id under the cgroup v2 mount");
  return fd;
}

UniqueFd open_cgroup_by_id(uint64_t cgroup_id) { return open_cgroup_by_id(open_cgroup2_mount().get(), cgroup_id); }

namespace {

// The cgroup, or nothing when it is gone (its storage went with it).
// cgroup2_mount_fd: the v2 mount when the caller holds it open, else -1.
UniqueFd open_cgroup_if_there(uint64_t cgroup_id, int cgroup2_mount_fd = -1) {
  try {
    return cgroup2_mount_fd >= 0 ? open_cgroup_by_id(cgroup2_mount_fd, cgroup_id) : open_cgroup_by_id(cgroup_id);
  } catch (const Error& e) {
    if (e.sys_errno() == ESTALE || e.sys_errno() == ENOENT) return UniqueFd();
    throw;
  }
}

}  // namespace

void mark_container_cgroup(int map_fd, uint64_t cgroup_id) {
  // A cgroup that is gone has no task left to count.
  UniqueFd cg = open_cgroup_if_there(cgroup_id);
  if (!cg) return;
  int key = cg.get();
  // 4 KiB of counts: not on the stack.
  auto mark = std::make_unique<capsa_container_mark>();
  mark->cgroup_id = cgroup_id;
  // Never over an existing mark: that would zero the counts it holds (the
  // runtime marks at create, and a restarted capsad marks what it finds).
  if (bpf_map_update_elem(map_fd, &key, mark.get(), BPF_NOEXIST) != 0 && errno != EEXIST)
    throw_sys("mark cgroup " + std::to_string(cgroup_id) + " in the " CAPSA_MAP_CONTAINER_CGROUPS " map");
}

void unmark_container_cgroup(int map_fd, uint64_t cgroup_id) {
  UniqueFd cg = open_cgroup_if_there(cgroup_id);
  if (!cg) return;
  int key = cg.get();
  if (bpf_map_delete_elem(map_fd, &key) != 0 && errno != ENOENT)
    throw_sys("unmark cgroup " + std::to_string(cgroup_id) + " in the " CAPSA_MAP_CONTAINER_CGROUPS " map");
}

bool read_container_mark(int map_fd, int cgroup2_mount_fd, uint64_t cgroup_id, capsa_container_mark& out) {
  UniqueFd cg = open_cgroup_if_there(cgroup_id, cgroup2_mount_fd);
  if (!cg) return false;
  int key = cg.get();
  if (bpf_map_lookup_elem(map_fd, &key, &out) == 0) return true;
  if (errno == ENOENT) return false;
  throw_sys("read cgroup " + std::to_string(cgroup_id) + "'s mark in the " CAPSA_MAP_CONTAINER_CGROUPS " map");
}

std::optional<ContainerMap> ContainerMap::open_if_pinned(const std::string& pin_root) {
  std::string path = pin_root + "/" + CAPSA_PIN_MAPS_DIR + "/" + CAPSA_MAP_CONTAINERS;
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_sys("open pinned BPF map " + path);
  }
  std::string marks_path = pin_root + "/" + CAPSA_PIN_MAPS_DIR + "/" + CAPSA_MAP_CONTAINER_CGROUPS;
  UniqueFd marks(bpf_obj_get(marks_path.c_str()));
  if (!marks && errno != ENOENT) throw_sys("open pinned BPF map " + marks_path);
  return ContainerMap(UniqueFd(fd), std::move(marks));
}

void ContainerMap::add(uint64_t cgroup_id) const {
  capsa_container value{};
  if (bpf_map_update_elem(fd_.get(), &cgroup_id, &value, BPF_ANY) != 0)
    throw_sys("register cgroup " + std::to_string(cgroup_id) + " in the containers map");
  if (marks_) mark_container_cgroup(marks_.get(), cgroup_id);
}

void ContainerMap::remove(uint64_t cgroup_id) const {
  if (marks_) unmark_container_cgroup(marks_.get(), cgroup_id);
  if (bpf_map_delete_elem(fd_.get(), &cgroup_id) != 0 && errno != ENOENT)
    throw_sys("unregister cgroup " + std::to_string(cgroup_id) + " from the containers map");
}

}  // namespace capsa::bpf
