#include "container/lifecycle.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "bpf/cgroup_id.h"
#include "bpf/container_map.h"
#include "cgroup/container_cgroup.h"
#include "cgroup/freezer.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "container/clone_into_cgroup.h"
#include "container/console_socket.h"
#include "container/hooks.h"
#include "container/id_maps.h"
#include "container/idmapped_mount.h"
#include "container/init_process.h"
#include "container/init_stub.h"
#include "container/joined_user_ns.h"
#include "container/namespace_join.h"
#include "container/ns_stage.h"
#include "container/policy_seccomp.h"
#include "container/process_setup.h"
#include "container/sealed_self.h"
#include "container/seccomp_filter.h"
#include "container/sync_channel.h"
#include "daemon/control_socket.h"
#include "spec/parse.h"
#include "state/process_probe.h"

namespace capsa::container {

namespace {

std::string real_path(const std::string& path, const std::string& what) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) throw_sys(what + ": " + path);
  return buf;
}

// Fields capsa cannot honour yet fail loudly rather than being ignored.
void check_supported(const spec::Spec& s, const std::string& origin, const CreateOptions& opts) {
  if (!s.process) throw Error(origin + ": process: required to create a container");
  if (s.process->terminal && opts.console_socket.empty() && !opts.foreground)
    throw Error(origin + ": process.terminal: true needs --console-socket to receive the terminal "
                "(or a foreground `capsa run`)");
  if (!s.process->terminal && !opts.console_socket.empty())
    throw Error("--console-socket: process.terminal is false in " + origin + ", so there is no terminal to send");
  if (!s.linux) throw Error(origin + ": linux: required on Linux");
}

// Serves the namespace stage until it reports the init's pid: the id maps of
// a new user namespace (maps_of non-null) can only be written from outside,
// and the stage waits for kSyncIdMapsDone before unsharing the others.
pid_t await_init_pid(int sync_fd, pid_t stage, const spec::Linux* maps_of, const std::string& origin) {
  for (;;) {
    auto msg = sync_recv(sync_fd);
    if (!msg) throw Error("container init: the namespace stage exited before creating the init");
    if (msg->rfind(kSyncErrorPrefix, 0) == 0) throw Error(origin + ": " + msg->substr(std::string(kSyncErrorPrefix).size()));
    if (*msg == kSyncIdMaps && maps_of) {
      write_id_maps(stage, maps_of->uid_mappings, maps_of->gid_mappings, origin + ": linux.uidMappings",
                    origin + ": linux.gidMappings");
      if (!sync_send(sync_fd, kSyncIdMapsDone)) throw Error("container init: the namespace stage exited during setup");
      continue;
    }
    std::string prefix = std::string(kSyncInitPid) + " ";
    if (msg->rfind(prefix, 0) == 0) {
      long pid = std::strtol(msg->c_str() + prefix.size(), nullptr, 10);
      if (pid > 0) return static_cast<pid_t>(pid);
    }
    throw Error("container init: unexpected message \"" + *msg + "\" from the namespace stage");
  }
}

// The stage exists for what one clone cannot do: setns into namespaces given
// by path, and a user namespace whose id maps only an outside process can
// write before the other namespaces are created under it. Without either,
// the init is cloned straight into its new namespaces: one fork and one exit
// fewer per container.
bool needs_ns_stage(const InitPlan& plan) { return plan.new_user_ns || !plan.join_ns.empty(); }

std::vector<CgroupFsMount> cgroup_fs_mounts(const cgroup::Layout& layout, const cgroup::ContainerCgroup& cg) {
  std::vector<CgroupFsMount> out;
  for (const auto& h : layout.v1) {
    auto slash = h.mount_point.rfind('/');
    out.push_back({h.mount_point.substr(slash + 1), "cgroup", h.mount_options, cg.hierarchy_dir(h.key()).value_or("")});
  }
  if (layout.unified) {
    std::string own = cg.hierarchy_dir(layout.unified->key()).value_or("");
    if (out.empty())
      out.push_back({"", "cgroup2", "", own});
    else
      out.push_back({layout.unified->mount_point.substr(layout.unified->mount_point.rfind('/') + 1), "cgroup2", "", own});
  }
  return out;
}

// Undoes a half-done create in reverse order unless dismissed.
struct CreateRollback {
  const state::ContainerDir* dir = nullptr;
  std::optional<cgroup::ContainerCgroup>* cgroup = nullptr;
  pid_t stage = -1;  // the namespace stage, until it has reported the init
  pid_t child = -1;
  bool done = false;
  ~CreateRollback() {
    if (done) return;
    for (pid_t pid : {stage, child}) {
      if (pid <= 0) continue;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (cgroup && *cgroup) {
      try {
        (*cgroup)->destroy();
      } catch (const std::exception& e) {
        spdlog::error("rollback: {}", e.what());
      }
    }
    if (dir) {
      try {
        dir->remove();
      } catch (const std::exception& e) {
        spdlog::error("rollback: {}", e.what());
      }
    }
  }
};

bool wait_gone(pid_t pid, uint64_t start_time, std::chrono::milliseconds timeout) {
  // A pidfd turns readable when the process exits: no sleeping in between.
  // Opened before the start-time check, so it cannot name a reused pid.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd && state::process_alive(pid, start_time)) {
    struct pollfd p {pidfd.get(), POLLIN, 0};
    int n;
    do n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (n < 0 && errno == EINTR);
    ::waitpid(pid, nullptr, WNOHANG);  // our own child (run) is reaped here
    return !state::process_alive(pid, start_time);
  }
  // No pidfd (gone already, or a kernel before 5.3): poll its /proc entry.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (state::process_alive(pid, start_time)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    // Our own child (run, or create in tests) must be reaped to stop being alive.
    ::waitpid(pid, nullptr, WNOHANG);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Has capsad bind the container to its policy before the container's process
// runs: without this, the first second of a container could escape its
// policy until capsad's periodic sync. No capsad listening: nothing to bind.
void bind_policy(const state::StateStore& store, const std::string& id) {
  std::string sock = daemon::default_control_socket(store.root());
  try {
    auto reply = daemon::control_request_if_listening(sock, {{"cmd", "sync"}}, 5000);
    if (!reply)
      spdlog::debug("container {}: no capsad at {}: no policy bound", id, sock);
    else if (!reply->value("ok", false))
      spdlog::warn("container {}: capsad could not bind its policy: {}", id, reply->value("error", reply->dump()));
  } catch (const Error& e) {
    spdlog::warn("container {}: policy not bound by capsad: {}", id, e.what());
  }
}

// The container's tasks see the runtime's pid namespace: no pid namespace
// entry, or one joined by a path that is ours (/proc/1/ns/pid on the host).
bool shares_our_pid_namespace(const spec::Spec& spec) {
  const spec::Namespace* ns = spec.find_namespace(spec::NamespaceType::Pid);
  if (!ns) return true;
  if (ns->path.empty()) return false;
  struct stat theirs{}, ours{};
  return ::stat(ns->path.c_str(), &theirs) == 0 && ::stat("/proc/self/ns/pid", &ours) == 0 &&
         theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

}  // namespace

Created create_container(const state::StateStore& store, const CreateOptions& opts) {
  // Checked first: a preserved fd that is not open fails before anything exists.
  std::vector<int> preserved = preserved_fds(opts.preserve_fds);
  std::string bundle = real_path(opts.bundle.empty() ? "." : opts.bundle, "--bundle");
  spec::Spec spec = spec::load_bundle_spec(bundle);
  std::string origin = bundle + "/config.json";
  check_supported(spec, origin, opts);
  // Before anything exists: capsa's own binary must not be reachable from
  // the container (init_stub.h). The copy starts this command over.
  bool through_stub = init_stub_suffices(spec);
  if (!through_stub) reexec_from_sealed_copy();
  std::string rootfs = real_path(spec::rootfs_path(spec, bundle), origin + ": root.path");
  auto layout = cgroup::detect_layout();

  // Namespaces to join are opened and checked before anything is created: a
  // bad path is a config error.
  InitPlan plan;
  for (const auto& ns : spec.linux->namespaces) {
    if (!ns.path.empty()) continue;
    if (ns.type == spec::NamespaceType::Cgroup)
      plan.new_cgroup_ns = true;
    else if (ns.type == spec::NamespaceType::Time)
      plan.new_time_ns = true;  // the init unshares it: offsets go in before anyone enters
    else if (ns.type == spec::NamespaceType::User)
      plan.new_user_ns = true;
    else
      plan.unshare_flags |= clone_flag(ns.type);
  }
  plan.new_net_ns = (plan.unshare_flags & CLONE_NEWNET) != 0;
  plan.rootfs.in_user_ns = spec.has_namespace(spec::NamespaceType::User);
  std::vector<NamespaceToJoin> to_join = open_namespaces_to_join(spec, origin);
  for (const auto& j : to_join) {
    plan.join_ns.emplace_back(j.fd.get(), j.type);
    if (j.type != CLONE_NEWUSER) continue;
    auto maps = read_user_ns_maps(j.fd.get(), origin + ": " + j.field);
    check_joined_user_ns(spec, maps, origin, j.field + " (" + j.path + ")");
  }

  // A rule the devices controller cannot express is a config error, found
  // before anything exists.
  cgroup::DevicePolicy devices;
  try {
    devices = cgroup::device_policy(spec);
  } catch (const Error& e) {
    throw Error(origin + ": " + e.what(), e.sys_errno());
  }

  // Before anything exists too: a source that cannot be id-mapped is a
  // config error. The init inherits the trees' fds and moves them into place.
  IdmappedTrees idmapped = prepare_idmapped_mounts(spec, bundle, origin);
  plan.rootfs.idmapped_mounts = idmapped.by_mount_index;

  state::ContainerDir dir = store.create(opts.id);
  std::optional<cgroup::ContainerCgroup> cg;
  CreateRollback rollback{&dir, &cg};

  cg = cgroup::ContainerCgroup::create(layout, spec.linux->cgroups_path, opts.id,
                                       spec.linux->resources ? &*spec.linux->resources : nullptr, &devices);

  std::string fifo = dir.exec_fifo();
  if (::mkfifo(fifo.c_str(), 0622) != 0) throw_sys("mkfifo " + fifo);
  ::chmod(fifo.c_str(), 0622);  // not subject to the umask: any container uid opens it
  UniqueFd fifo_fd(::open(fifo.c_str(), O_PATH | O_CLOEXEC));
  if (!fifo_fd) throw_sys("open " + fifo);

  std::optional<SeccompFilter> seccomp;
  if (spec.linux->seccomp) {
    seccomp.emplace(SeccompFilter::build(*spec.linux->seccomp, origin));
    plan.seccomp = &*seccomp;
  }

  // capsad's filter for syscall rules, for the cgroup capsad binds to a policy.
  uint64_t cgroup_id = 0;
  if (auto unified = cg->unified_dir()) cgroup_id = bpf::cgroup_id_of(*unified);
  // capsad's Landlock rules come with them, in the same request.
  auto from_capsad = policy_from_capsad(daemon::default_control_socket(store.root()),
                                        spec.linux->seccomp ? &*spec.linux->seccomp : nullptr, opts.id,
                                        spec.annotations, cgroup_id, shares_our_pid_namespace(spec), /*init=*/true);
  keep_landlock_plan(dir.path() + "/landlock.json", from_capsad);
  if (from_capsad.landlock) from_capsad.landlock->host_devices = host_mounted_devices();
  auto& policy_filter = from_capsad.seccomp;
  if (policy_filter) plan.policy_seccomp = &policy_filter->filter;
  if (from_capsad.landlock) plan.landlock = &*from_capsad.landlock;

  UniqueFd stub;
  if (through_stub) {
    stub = make_init_stub();
    plan.stub_fd = stub.get();
  }
  auto sync = make_sync_pair();
  plan.spec = &spec;
  plan.rootfs.rootfs = rootfs;
  plan.rootfs.bundle = bundle;
  plan.rootfs.no_pivot = opts.no_pivot;
  plan.rootfs.cgroup_mounts = cgroup_fs_mounts(layout, *cg);
  plan.sync_fd = sync.init_end.get();
  plan.preserved_fds = std::move(preserved);
  plan.fifo_fd = fifo_fd.get();
  const spec::Hooks& hooks = spec.hooks;
  plan.hook_sync = !hooks.prestart.empty() || !hooks.create_runtime.empty() || !hooks.create_container.empty() ||
                   !hooks.start_container.empty();

  bool in_unified = false;  // cloned straight into the cgroup2 directory
  if (needs_ns_stage(plan)) {
    long stage = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (stage < 0) throw_sys("clone the namespace stage of the container init");
    if (stage == 0) run_ns_stage(plan);
    rollback.stage = static_cast<pid_t>(stage);
    sync.init_end.reset();
    rollback.child = await_init_pid(sync.runtime_end.get(), rollback.stage, plan.new_user_ns ? &*spec.linux : nullptr, origin);
    ::waitpid(rollback.stage, nullptr, 0);
    rollback.stage = -1;
  } else {
    UniqueFd unified;
    if (auto dir = cg->unified_dir()) unified.reset(::open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    long init = clone_child(plan.unshare_flags, unified ? unified.get() : -1, &in_unified);
    if (init < 0) throw_sys(origin + ": linux.namespaces: clone the container init into its new namespaces");
    if (init == 0) run_init(plan);
    rollback.child = static_cast<pid_t>(init);
    sync.init_end.reset();
  }

  cg->join(rollback.child, in_unified);
  // What the hooks and the seccomp listener are told while the init sets up.
  state::ContainerState creating;
  creating.id = opts.id;
  creating.init_pid = rollback.child;
  creating.bundle = bundle;
  creating.rootfs = rootfs;
  creating.created = state::now_rfc3339nano();
  creating.annotations = spec.annotations;
  if (!sync_send(sync.runtime_end.get(), kSyncGo)) throw Error("container init exited before setup");
  Created out;
  std::string pty_name;
  for (;;) {
    auto reply = recv_with_fd(sync.runtime_end.get());
    if (!reply) throw Error("container init exited during setup");
    const std::string& msg = reply->msg;
    if (msg.rfind(kSyncErrorPrefix, 0) == 0) throw Error(origin + ": " + msg.substr(std::string(kSyncErrorPrefix).size()));
    if (msg.rfind(kSyncPty, 0) == 0 && reply->fd) {
      out.pty_master = std::move(reply->fd);
      pty_name = msg.substr(std::string(kSyncPty).size() + 1);
      continue;
    }
    if (msg == kSyncHooks) {
      // A failure here leaves the rollback to kill the init and undo the create.
      auto hook_state = state::oci_state(creating, state::Status::Creating);
      run_hooks(hooks.prestart, "prestart", hook_state);
      run_hooks(hooks.create_runtime, "createRuntime", hook_state);
      if (!sync_send(sync.runtime_end.get(), std::string(kSyncHooksDone) + " " + hook_state.dump()))
        throw Error("container init exited during setup");
      continue;
    }
    if (msg == kSyncSeccomp && reply->fd) {
      send_to_seccomp_listener(*spec.linux->seccomp, state::oci_state(creating, state::Status::Creating),
                               rollback.child, reply->fd.get());
      continue;
    }
    if (msg.rfind(std::string(kSyncLandlock) + " ", 0) == 0) {
      if (from_capsad.landlock) {
        // Anything in the container but its init got there before the
        // ruleset, and forks outside its reach.
        std::vector<pid_t> strays = cg->pids(/*with_descendants=*/true);
        std::erase(strays, rollback.child);
        landlock_installed(daemon::default_control_socket(store.root()), *from_capsad.landlock, opts.id, cgroup_id,
                           msg.substr(std::string(kSyncLandlock).size() + 1), rollback.child, strays);
      }
      if (!sync_send(sync.runtime_end.get(), kSyncLandlockAck)) throw Error("container init exited during setup");
      continue;
    }
    if (msg == kSyncPolicyNotify && reply->fd && policy_filter) {
      hand_listener_to_capsad(*policy_filter, opts.id, cgroup_id, rollback.child, reply->fd.get());
      continue;
    }
    if (msg == kSyncReady) break;
    throw Error("container init: unexpected message \"" + msg + "\"");
  }
  if (out.pty_master && !opts.console_socket.empty()) {
    send_to_console_socket(opts.console_socket, pty_name, out.pty_master.get());
    out.pty_master.reset();
  }

  auto stat = state::read_proc_stat(rollback.child);
  if (!stat) throw Error("container init exited before it was started");
  state::ContainerState st = creating;
  st.init_start_time = stat->start_time;
  st.cgroup = cg->to_json();
  st.hooks = hooks_to_save(hooks);
  st.cgroup_id = cgroup_id;
  dir.save(st);

  // capsad may be down: the container still runs, and capsad adds it when it starts.
  if (st.cgroup_id) {
    try {
      if (auto map = bpf::ContainerMap::open_if_pinned(opts.bpf_pin_root)) map->add(st.cgroup_id);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: not registered with capsad: {}", opts.id, e.what());
    }
    bind_policy(store, opts.id);
  }
  if (!opts.pid_file.empty()) {
    std::string pf = opts.pid_file[0] == '/' ? opts.pid_file : real_path(".", "cwd") + "/" + opts.pid_file;
    replace_file(pf, std::to_string(st.init_pid), 0644);
  }
  rollback.done = true;
  out.state = std::move(st);
  return out;
}

void start_container(const state::ContainerDir& dir, const state::ContainerState& st) {
  auto status = dir.status(st);
  if (status == state::Status::Stopped) throw Error("cannot start a container that has stopped");
  if (status == state::Status::Running) throw Error("cannot start an already running container");
  std::string fifo = dir.exec_fifo();
  UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) throw_sys("open " + fifo);
  for (;;) {
    struct pollfd p {fd.get(), POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    if (n < 0 && errno != EINTR) throw_sys("poll " + fifo);
    if (n > 0 && (p.revents & POLLIN)) break;
    if (!state::process_alive(st.init_pid, st.init_start_time))
      throw Error("container init of " + st.id + " exited before start");
  }
  char c;
  if (::read(fd.get(), &c, 1) != 1) throw_sys("read " + fifo);
  ::unlink(fifo.c_str());
  // The init keeps the fifo open through its startContainer hooks: EOF means
  // it exec'd (close-on-exec) or died; anything it wrote is why it died.
  std::string failure;
  for (;;) {
    struct pollfd p {fd.get(), POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    if (n < 0 && errno != EINTR) throw_sys("poll " + fifo);
    if (n <= 0) continue;
    char buf[4096];
    ssize_t r = ::read(fd.get(), buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) break;
    failure.append(buf, static_cast<size_t>(r));
  }
  if (!failure.empty()) throw Error("container " + st.id + ": " + failure);
}

void run_poststart_hooks(const state::ContainerState& st) {
  run_hooks_warning_only(saved_hooks(st.hooks, "poststart"), "poststart", state::oci_state(st, state::Status::Running));
}

void signal_container(const state::ContainerDir& dir, const state::ContainerState& st, int sig, bool all) {
  if (dir.status(st) == state::Status::Stopped) throw Error("container not running");
  if (all) {
    auto cg = cgroup::ContainerCgroup::from_json(st.cgroup);
    for (pid_t p : cg.pids())
      if (::kill(p, sig) != 0 && errno != ESRCH) throw_sys("kill " + std::to_string(p));
    return;
  }
  if (::kill(st.init_pid, sig) != 0) throw_sys("kill container init " + std::to_string(st.init_pid));
}

void pause_container(const state::ContainerDir& dir, const state::ContainerState& st) {
  auto status = dir.status(st);
  if (status == state::Status::Paused) throw Error("container " + st.id + " is already paused");
  if (status != state::Status::Running && status != state::Status::Created) throw Error("container not running");
  cgroup::set_frozen(cgroup::ContainerCgroup::from_json(st.cgroup), true);
}

void resume_container(const state::ContainerDir& dir, const state::ContainerState& st) {
  if (dir.status(st) != state::Status::Paused) throw Error("container not paused");
  cgroup::set_frozen(cgroup::ContainerCgroup::from_json(st.cgroup), false);
}

void destroy_container(const state::ContainerDir& dir, const state::ContainerState& st,
                       const std::string& bpf_pin_root) {
  if (state::process_alive(st.init_pid, st.init_start_time)) {
    ::kill(st.init_pid, SIGKILL);
    // A v1-frozen task cannot act on SIGKILL until it is thawed.
    auto cg = cgroup::ContainerCgroup::from_json(st.cgroup);
    if (cgroup::is_frozen(cg)) cgroup::set_frozen(cg, false);
    if (!wait_gone(st.init_pid, st.init_start_time, std::chrono::seconds(10)))
      throw Error("container " + st.id + ": init " + std::to_string(st.init_pid) + " did not exit after SIGKILL");
  }
  cgroup::ContainerCgroup::from_json(st.cgroup).destroy();
  if (st.cgroup_id) {
    try {
      if (auto map = bpf::ContainerMap::open_if_pinned(bpf_pin_root)) map->remove(st.cgroup_id);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: could not unregister from capsad: {}", st.id, e.what());
    }
  }
  dir.remove();
  run_hooks_warning_only(saved_hooks(st.hooks, "poststop"), "poststop", state::oci_state(st, state::Status::Stopped));
}

}  // namespace capsa::container
