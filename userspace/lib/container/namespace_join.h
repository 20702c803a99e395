// Namespaces given by path in linux.namespaces: opened and checked while
// nothing of the container exists yet, then joined in runc's order by the
// process that becomes (or execs into) the container.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "spec/spec.h"

namespace capsa::container {

int clone_flag(spec::NamespaceType t);

struct NamespaceToJoin {
  UniqueFd fd;
  int type = 0;       // CLONE_NEW*
  std::string field;  // "linux.namespaces[N].path", for errors
  std::string path;
};

// Opens every linux.namespaces[].path. A path that is missing, not a
// namespace file, or a namespace of another type than its entry says fails
// here with the entry's field, before anything is created.
std::vector<NamespaceToJoin> open_namespaces_to_join(const spec::Spec& spec, const std::string& origin);

// setns into every (fd, CLONE_NEW*) as runc's nsexec does: the others first
// while we still hold the host's capabilities (a namespace owned by another
// user namespace than the one joined may need them), then the user
// namespace, then again whatever was refused with EPERM before it (those
// owned by that user namespace, joinable with its capabilities). The caller
// must be single-threaded, or the kernel refuses the user namespace.
void join_namespaces(const std::vector<std::pair<int, int>>& ns);

}  // namespace capsa::container
