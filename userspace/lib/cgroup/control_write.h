// One planned write to a cgroup control file. Resources are turned into a
// list of these first, with every check the host allows made up front, so a
// bad value fails before anything is written.
#pragma once

#include <string>

namespace capsa::cgroup {

struct ControlWrite {
  std::string file;   // name inside the cgroup directory, e.g. "io.max"
  std::string value;  // written in one write(2): the kernel parses one line per write
  std::string field;  // the linux.resources field that asked for it, for errors

  bool operator==(const ControlWrite&) const = default;
};

}  // namespace capsa::cgroup
