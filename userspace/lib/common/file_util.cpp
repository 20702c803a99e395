#include "common/file_util.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/unique_fd.h"

namespace capsa {

static std::string read_all(int fd, const std::string& path) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_sys("open " + path);
  return read_all(fd.get(), path);
}

static bool gone(int err) { return err == ENOENT || err == ESRCH || err == ENODEV; }

std::optional<std::string> read_file_if_exists(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (gone(errno)) return std::nullopt;
    throw_sys("open " + path);
  }
  try {
    return read_all(fd.get(), path);
  } catch (const Error& e) {
    if (gone(e.sys_errno())) return std::nullopt;  // the process or cgroup went while we read
    throw;
  }
}

void write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("write " + what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

off_t copy_contents(int out, int in, off_t size, const std::string& error) {
  off_t offset = 0;
  while (offset < size) {
    ssize_t n = ::sendfile(out, in, &offset, static_cast<size_t>(size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys(error);
    if (n == 0) break;
  }
  return offset;
}

void write_file(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_sys("open " + path);
  write_all(fd.get(), data, path);
}

static void write_and_rename(const std::string& path, std::string_view data, int mode, bool durable) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw_sys("create " + tmp);
  try {
    write_all(fd.get(), data, tmp);
    if (durable && ::fsync(fd.get()) != 0) throw_sys("fsync " + tmp);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_sys("rename " + tmp + " to " + path, err);
  }
}

void write_file_atomic(const std::string& path, std::string_view data, int mode) {
  write_and_rename(path, data, mode, true);
}

void replace_file(const std::string& path, std::string_view data, int mode) {
  write_and_rename(path, data, mode, false);
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool dir_is_empty_or_absent(const std::string& path) {
  std::error_code ec;
  std::filesystem::directory_iterator it(path, ec);
  if (ec) return ec == std::errc::no_such_file_or_directory;
  return it == std::filesystem::directory_iterator();
}

void make_dirs(const std::string& path, int mode) {
  // Deepest first: where the directory or its parent exists (nearly always)
  // that is one call, not one failing mkdir per component from the root.
  if (path.empty()) return;
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0 || errno == EEXIST) return;
  if (errno != ENOENT) throw_sys("mkdir " + path);
  size_t end = path.find_last_not_of('/');
  size_t slash = end == std::string::npos ? std::string::npos : path.find_last_of('/', end);
  if (slash != std::string::npos && slash > 0) make_dirs(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) throw_sys("mkdir " + path);
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) throw Error("remove " + path + ": " + ec.message(), ec.value());
}

}  // namespace capsa
