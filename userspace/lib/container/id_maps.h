// uid_map and gid_map of a process in a new user namespace, written by the
// runtime outside it (only a process in the parent namespace may).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spec/spec.h"

namespace capsa::container {

// Errors carry `uid_field` or `gid_field` (e.g. "config.json: linux.uidMappings").
void write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uids, const std::vector<spec::IdMapping>& gids,
                   const std::string& uid_field, const std::string& gid_field);

}  // namespace capsa::container
