// The --root directory: one subdirectory per container holding state.json,
// the exec fifo, and a lock file that serialises CLI invocations on that
// container (flock: released by the kernel if a capsa process dies).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "state/container_state.h"

namespace capsa::state {

// runc's rule: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes.
void validate_container_id(const std::string& id);

class ContainerDir {
public:
  const std::string& path() const { return path_; }
  const std::string& id() const { return id_; }
  std::string state_file() const { return path_ + "/state.json"; }
  std::string exec_fifo() const { return path_ + "/exec.fifo"; }

  // nullopt while the container is still being created (no state.json yet).
  std::optional<ContainerState> load() const;
  void save(const ContainerState& s) const;
  // Status derived from the init process and the exec fifo, as runc does.
  Status status(const ContainerState& s) const;
  // Removes the directory; the lock stays held until this object dies.
  void remove() const;

private:
  friend class StateStore;
  ContainerDir(std::string id, std::string path, UniqueFd lock)
      : id_(std::move(id)), path_(std::move(path)), lock_(std::move(lock)) {}
  std::string id_;
  std::string path_;
  UniqueFd lock_;
};

enum class LockMode { Shared, Exclusive };

// Status of a container whose state lives in `dir`, without taking its lock.
Status derive_status(const std::string& dir, const ContainerState& s);

class StateStore {
public:
  explicit StateStore(std::string root);
  const std::string& root() const { return root_; }

  // Makes <root>/<id> and returns it locked exclusively; throws
  // "container with id exists: <id>" when it is already there.
  ContainerDir create(const std::string& id) const;
  // Locks an existing container; throws "container does not exist: <id>".
  ContainerDir open(const std::string& id, LockMode mode) const;
  std::optional<ContainerDir> try_open(const std::string& id, LockMode mode) const;
  // Ids of every container directory, sorted.
  std::vector<std::string> list_ids() const;
  // Reads state.json without locking (it is replaced atomically): for
  // observers such as capsad that must never wait on a CLI call.
  std::optional<ContainerState> peek(const std::string& id) const;
  std::string dir_of(const std::string& id) const { return root_ + "/" + id; }

private:
  std::string root_;
};

}  // namespace capsa::state
