// Cgroups beneath a container's own: what a container with a writable
// cgroup2 mount made. The policy enforcer binds them as the container, the
// telemetry counts them as it; both find them with this walk.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace capsa::cgroup {

// Whether any cgroup is beneath dir: kernfs counts a directory's
// subdirectories in its links, so this is one stat and no listing.
bool has_cgroups_beneath(const std::string& dir);

// Visits every cgroup beneath dir (not dir itself), parents before their
// children, with its cgroup id; `visit` returns false to leave out what is
// beneath that one (a container nested in this one is its own). A cgroup
// removed while the walk lists it is skipped and the walk goes on; other
// errors are logged, naming `whose`, and skip that directory only.
void for_each_cgroup_beneath(const std::string& dir, const std::string& whose,
                             const std::function<bool(const std::string& path, uint64_t id)>& visit);

// Whether the cgroup at path is still the one with this id (ids are never
// reused): a copy written for one removed meanwhile, whose rmdir ran before
// the write, would stay behind.
bool still_there(const std::string& path, uint64_t id);

}  // namespace capsa::cgroup
