#include "container/id_maps.h"

#include "common/error.h"
#include "common/file_util.h"

namespace capsa::container {

void write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uids, const std::vector<spec::IdMapping>& gids,
                   const std::string& uid_field, const std::string& gid_field) {
  std::string base = "/proc/" + std::to_string(pid) + "/";
  struct Map {
    const char* file;
    const std::string& field;
    const std::vector<spec::IdMapping>& maps;
  };
  for (const Map& m : {Map{"gid_map", gid_field, gids}, Map{"uid_map", uid_field, uids}}) {
    // The kernel takes the whole map in one write, once.
    try {
      write_file(base + m.file, spec::id_map_text(m.maps));
    } catch (const Error& e) {
      throw Error(m.field + ": " + e.what(), e.sys_errno());
    }
  }
}

}  // namespace capsa::container
