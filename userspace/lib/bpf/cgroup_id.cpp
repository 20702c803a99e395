#include "bpf/cgroup_id.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>

#include "common/error.h"

namespace capsa::bpf {

uint64_t cgroup_id_of(const std::string& cgroup_dir) {
  // kernfs file handles carry the node id, which is the cgroup id.
  struct {
    struct file_handle fh;
    unsigned char bytes[8];
  } handle{};
  handle.fh.handle_bytes = sizeof handle.bytes;
  int mount_id = 0;
  if (::name_to_handle_at(AT_FDCWD, cgroup_dir.c_str(), &handle.fh, &mount_id, 0) == 0 && handle.fh.handle_bytes == 8) {
    uint64_t id;
    std::memcpy(&id, handle.fh.f_handle, sizeof id);
    return id;
  }
  struct stat st;
  if (::stat(cgroup_dir.c_str(), &st) != 0) throw_sys("cgroup id of " + cgroup_dir);
  return st.st_ino;
}

}  // namespace capsa::bpf
