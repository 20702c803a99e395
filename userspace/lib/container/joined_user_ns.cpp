#include "container/joined_user_ns.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/file_util.h"
#include "container/sync_channel.h"

namespace capsa::container {

namespace {

// Kills and reaps the namespace holder however the read ends.
struct ChildGuard {
  pid_t pid;
  ~ChildGuard() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

bool same_maps(std::vector<spec::IdMapping> a, std::vector<spec::IdMapping> b) {
  auto by_container_id = [](const spec::IdMapping& x, const spec::IdMapping& y) { return x.container_id < y.container_id; };
  std::sort(a.begin(), a.end(), by_container_id);
  std::sort(b.begin(), b.end(), by_container_id);
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const spec::IdMapping& x, const spec::IdMapping& y) {
    return x.container_id == y.container_id && x.host_id == y.host_id && x.size == y.size;
  });
}

std::string shown(const std::vector<spec::IdMapping>& maps) {
  if (maps.empty()) return "none";
  std::string text = spec::id_map_text(maps);
  text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ',');
  return "\"" + text + "\"";
}

}  // namespace

std::vector<spec::IdMapping> parse_id_map_text(std::string_view text) {
  std::vector<spec::IdMapping> out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    spec::IdMapping m;
    if (fields >> m.container_id >> m.host_id >> m.size) out.push_back(m);
  }
  return out;
}

UserNsMaps read_user_ns_maps(int userns_fd, const std::string& field) {
  auto sync = make_sync_pair();
  pid_t pid = ::fork();
  if (pid < 0) throw_sys(field + ": fork to read the user namespace's id maps");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    sync.runtime_end.reset();
    if (::setns(userns_fd, CLONE_NEWUSER) != 0) {
      sync_send(sync.init_end.get(), std::string(kSyncErrorPrefix) + errno_text(errno));
      ::_exit(1);
    }
    sync_send(sync.init_end.get(), kSyncReady);
    sync_recv(sync.init_end.get());  // EOF: the maps were read
    ::_exit(0);
  }
  ChildGuard guard{pid};
  sync.init_end.reset();
  auto msg = sync_recv(sync.runtime_end.get());
  if (!msg) throw Error(field + ": the process entering the user namespace died");
  if (msg->rfind(kSyncErrorPrefix, 0) == 0)
    throw Error(field + ": setns into the user namespace: " + msg->substr(std::string(kSyncErrorPrefix).size()));
  std::string base = "/proc/" + std::to_string(pid) + "/";
  // Read from outside the namespace, the host ids are relative to ours.
  UserNsMaps maps;
  maps.uid = parse_id_map_text(read_file(base + "uid_map"));
  maps.gid = parse_id_map_text(read_file(base + "gid_map"));
  return maps;
}

void check_joined_user_ns(const spec::Spec& spec, const UserNsMaps& maps, const std::string& origin,
                          const std::string& field) {
  const spec::Linux& l = *spec.linux;
  if (!l.uid_mappings.empty() || !l.gid_mappings.empty()) {
    struct Check {
      const char* name;
      const std::vector<spec::IdMapping>& config;
      const std::vector<spec::IdMapping>& actual;
    };
    for (const Check& c : {Check{"uidMappings", l.uid_mappings, maps.uid}, Check{"gidMappings", l.gid_mappings, maps.gid}})
      if (!same_maps(c.config, c.actual))
        throw Error(origin + ": linux." + c.name + ": " + shown(c.config) + " differs from the maps of the user namespace joined by " +
                    field + " (" + shown(c.actual) + "); give no mappings when joining a user namespace");
    spdlog::warn("{}: linux.uidMappings and gidMappings repeat those of the user namespace joined by {}: "
                 "give one or the other (runc may refuse both in future)", origin, field);
  }
  auto must_map = [&](const std::vector<spec::IdMapping>& m, uint32_t id, const std::string& what) {
    if (!spec::id_mapped(m, id))
      throw Error(origin + ": " + what + ": " + std::to_string(id) + " is not mapped in the user namespace joined by " +
                  field + " (" + shown(m) + ")");
  };
  // The init sets the container up as root in the namespace.
  must_map(maps.uid, 0, "linux.namespaces (user): the container's root uid");
  must_map(maps.gid, 0, "linux.namespaces (user): the container's root gid");
  if (!spec.process) return;
  const auto& u = spec.process->user;
  must_map(maps.uid, u.uid, "process.user.uid");
  must_map(maps.gid, u.gid, "process.user.gid");
  for (size_t i = 0; i < u.additional_gids.size(); ++i)
    must_map(maps.gid, u.additional_gids[i], "process.user.additionalGids[" + std::to_string(i) + "]");
}

}  // namespace capsa::container
