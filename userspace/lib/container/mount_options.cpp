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

// The recursive options runc 1.1+ accepts. The atime settings are one value,
// not bits: each replaces the whole MOUNT_ATTR__ATIME field (as the kernel
// requires), and the negative ones go back to the kernel's default, relatime,
// except "rnorelatime", which asks for atime updates: strictatime.
struct RecAttrOption {
  std::string_view name;
  bool clear;
  uint64_t attr;
  bool atime;
};

constexpr RecAttrOption kRecAttrOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY, false},           {"rrw", true, MOUNT_ATTR_RDONLY, false},
    {"rnosuid", false, MOUNT_ATTR_NOSUID, false},       {"rsuid", true, MOUNT_ATTR_NOSUID, false},
    {"rnodev", false, MOUNT_ATTR_NODEV, false},         {"rdev", true, MOUNT_ATTR_NODEV, false},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC, false},       {"rexec", true, MOUNT_ATTR_NOEXEC, false},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME, false}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME, false},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW, false}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW, false},
    {"rnoatime", false, MOUNT_ATTR_NOATIME, true},      {"ratime", false, MOUNT_ATTR_RELATIME, true},
    {"rrelatime", false, MOUNT_ATTR_RELATIME, true},    {"rnorelatime", false, MOUNT_ATTR_STRICTATIME, true},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME, true}, {"rnostrictatime", false, MOUNT_ATTR_RELATIME, true},
};

void apply_rec_attr(const RecAttrOption& r, MountOptions& out) {
  if (r.atime) {
    out.rec_attr_set = (out.rec_attr_set & ~uint64_t{MOUNT_ATTR__ATIME}) | r.attr;
    out.rec_attr_clr |= MOUNT_ATTR__ATIME;
  } else if (r.clear) {
    out.rec_attr_clr |= r.attr;
    out.rec_attr_set &= ~r.attr;
  } else {
    out.rec_attr_set |= r.attr;
    out.rec_attr_clr &= ~r.attr;
  }
}

}  // namespace

std::vector<std::string> known_mount_options() {
  std::vector<std::string> out = {"bind", "rbind", "tmpcopyup"};
  for (const auto& f : kFlagOptions) out.emplace_back(f.name);
  for (const auto& p : kPropagation) out.emplace_back(p.name);
  for (const auto& r : kRecAttrOptions) out.emplace_back(r.name);
  return out;
}

MountOptions parse_mount_options(const std::vector<std::string>& options, const std::string& field) {
  MountOptions out;
  for (const auto& opt : options) {
    // Id-mapped mounts are read off the options by the config parser and
    // built by the runtime (idmapped_mount.h): nothing for mount(2) here.
    if (opt == "idmap" || opt == "ridmap") continue;
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
    for (const auto& r : kRecAttrOptions) {
      if (!matched && opt == r.name) {
        apply_rec_attr(r, out);
        matched = true;
      }
    }
    if (!matched && opt == "tmpcopyup") {
      out.copy_up = true;
      matched = true;
    }
    if (matched) continue;
    if (opt.empty()) throw Error(field + ": empty mount option");
    if (!out.data.empty()) out.data += ',';
    out.data += opt;
  }
  return out;
}

}  // namespace capsa::container
