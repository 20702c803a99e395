#include "container/mount_options.h"

#include <sys/mount.h>

#include <string_view>

#include "common/error.h"

namespace capsa::container {

namespace {

struct FlagOption {
  std::string_view name;
  bool clear;  // "rw", "suid", ... remove a flag rather than set it
  unsigned long flag;
};

constexpr FlagOption kFlagOptions[] = {
    {"ro", false, MS_RDONLY},        {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},      {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS}, {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},  {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},  {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME}, {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"silent", false, MS_SILENT},    {"loud", true, MS_SILENT},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagation[] = {
    {"private", MS_PRIVATE},   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},     {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},       {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// Recursive attribute options (mount_setattr) and id-mapped mounts.
constexpr std::string_view kUnsupported[] = {"rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev",
                                              "rnoexec", "rexec", "rnoatime", "ratime",
                                              "rrelatime", "rnorelatime", "rstrictatime",
                                              "rnostrictatime", "rnodiratime", "rdiratime",
                                              "idmap", "ridmap", "tmpcopyup"};

}  // namespace

std::vector<std::string> known_mount_options() {
  std::vector<std::string> out = {"bind", "rbind"};
  for (const auto& f : kFlagOptions) out.emplace_back(f.name);
  for (const auto& p : kPropagation) out.emplace_back(p.name);
  return out;
}

MountOptions parse_mount_options(const std::vector<std::string>& options, const std::string& field) {
  MountOptions out;
  for (const auto& opt : options) {
    if (opt == "bind" || opt == "rbind") {
      out.bind = true;
      out.recursive = out.recursive || opt == "rbind";
      continue;
    }
    bool matched = false;
    for (const auto& f : kFlagOptions) {
      if (opt == f.name) {
        if (f.clear)
          out.flags &= ~f.flag;
        else
          out.flags |= f.flag;
        matched = true;
        break;
      }
    }
    for (const auto& p : kPropagation) {
      if (!matched && opt == p.name) {
        out.propagation = p.flags;
        matched = true;
      }
    }
    for (auto u : kUnsupported) {
      if (!matched && opt == u)
        throw Error(field + ": mount option \"" + opt + "\" is not supported by capsa yet");
    }
    if (matched) continue;
    if (opt.empty()) throw Error(field + ": empty mount option");
    if (!out.data.empty()) out.data += ',';
    out.data += opt;
  }
  return out;
}

}  // namespace capsa::container
