#include "bpf/bpffs.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include "common/error.h"
#include "common/file_util.h"

namespace capsa::bpf {

bool is_bpffs(const std::string& path) {
  struct statfs st;
  return ::statfs(path.c_str(), &st) == 0 && static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC;
}

void ensure_bpffs_mounted(const std::string& path) {
  if (is_bpffs(path)) return;
  make_dirs(path, 0700);
  if (::mount("bpf", path.c_str(), "bpf", 0, "mode=0700") != 0) throw_sys("mount bpffs on " + path);
}

}  // namespace capsa::bpf
