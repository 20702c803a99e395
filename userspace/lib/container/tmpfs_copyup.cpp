#include "container/tmpfs_copyup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"

namespace capsa::container {

namespace {

struct Copier {
  const std::string& field;

  [[noreturn]] void fail(const std::string& what, const std::string& rel, int err = errno) const {
    throw_sys(field + ": tmpcopyup: " + what + " " + (rel.empty() ? "." : rel), err);
  }

  // xattrs the tmpfs refuses (security.* without a module that backs them,
  // trusted.* in a user namespace) are skipped: "where possible".
  void copy_xattrs(int src, int dst) const {
    ssize_t len = ::flistxattr(src, nullptr, 0);
    if (len <= 0) return;
    std::vector<char> names(static_cast<size_t>(len));
    len = ::flistxattr(src, names.data(), names.size());
    if (len <= 0) return;
    for (size_t i = 0; i < static_cast<size_t>(len); i += std::char_traits<char>::length(names.data() + i) + 1) {
      const char* name = names.data() + i;
      ssize_t vlen = ::fgetxattr(src, name, nullptr, 0);
      if (vlen < 0) continue;
      std::vector<char> value(static_cast<size_t>(vlen));
      vlen = ::fgetxattr(src, name, value.data(), value.size());
      if (vlen >= 0) (void)::fsetxattr(dst, name, value.data(), static_cast<size_t>(vlen), 0);
    }
  }

  // Owner, then mode (chown clears setuid bits), then times.
  void copy_attrs(int dst_dir, const char* name, const struct stat& st, const std::string& rel) const {
    bool link = S_ISLNK(st.st_mode);
    if (::fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) fail("chown", rel);
    if (!link && ::fchmodat(dst_dir, name, st.st_mode & 07777, 0) != 0) fail("chmod", rel);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) != 0) fail("set times of", rel);
  }

  void copy_file(int src_dir, int dst_dir, const char* name, const struct stat& st, const std::string& rel) const {
    UniqueFd in(::openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) fail("open", rel);
    UniqueFd out(::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) fail("create", rel);
    // A file that shrank meanwhile is copied as far as it goes.
    copy_contents(out.get(), in.get(), st.st_size, field + ": tmpcopyup: copy " + rel);
    copy_xattrs(in.get(), out.get());
    copy_attrs(dst_dir, name, st, rel);
  }

  void copy_dir(int src, int dst, const std::string& rel) const {
    UniqueFd listing(::openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!listing) fail("open", rel);
    DIR* d = ::fdopendir(listing.get());
    if (!d) fail("list", rel);
    listing.release();
    struct DirCloser {
      DIR* d;
      ~DirCloser() { ::closedir(d); }
    } closer{d};
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string child = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail("stat", child);
      if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(dst, name.c_str(), 0700) != 0) fail("mkdir", child);
        UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd t(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!s || !t) fail("open", child);
        copy_dir(s.get(), t.get(), child);
        copy_xattrs(s.get(), t.get());
        copy_attrs(dst, name.c_str(), st, child);
      } else if (S_ISREG(st.st_mode)) {
        copy_file(src, dst, name.c_str(), st, child);
      } else if (S_ISLNK(st.st_mode)) {
        std::vector<char> target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 4095) + 1);
        ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
        if (n < 0) fail("readlink", child);
        target[static_cast<size_t>(n)] = '\0';
        if (::symlinkat(target.data(), dst, name.c_str()) != 0) fail("symlink", child);
        copy_attrs(dst, name.c_str(), st, child);
      } else {
        // Fifos, sockets and device nodes: the node, not its contents.
        if (::mknodat(dst, name.c_str(), st.st_mode, st.st_rdev) != 0) fail("mknod", child);
        copy_attrs(dst, name.c_str(), st, child);
      }
      errno = 0;
    }
    if (errno != 0) fail("list", rel);
  }
};

}  // namespace

void copy_tree_into_tmpfs(int from, int to, const std::string& field) {
  // The tmpfs's root keeps what its own options (mode=, uid=) made it.
  Copier{field}.copy_dir(from, to, "");
}

}  // namespace capsa::container
