// capsad: loads and pins the BPF telemetry programs, keeps the kernel's view
// of containers in sync with the runtime's state directory, and serves
// Prometheus metrics. Kernel-side counting goes on while capsad is down.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "bpf/bpffs.h"
#include "bpf/cgroup_id.h"
#include "bpf/policy_loader.h"
#include "bpf/telemetry_loader.h"
#include "cgroup/layout.h"
#include "common/error.h"
#include "common/build_info.h"
#include "common/cli_main.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "daemon/bpf_program_metrics.h"
#include "daemon/cgroup_metrics.h"
#include "daemon/container_catalog.h"
#include "daemon/control_socket.h"
#include "daemon/event_log.h"
#include "daemon/fd_keeper.h"
#include "daemon/landlock_audit.h"
#include "daemon/kernel_sync.h"
#include "daemon/listen_address.h"
#include "daemon/policy_enforcer.h"
#include "daemon/policy_metrics.h"
#include "daemon/seccomp_supervisor.h"
#include "daemon/task_confinement.h"
#include "daemon/telemetry_metrics.h"
#include "metrics/exposition.h"
#include "metrics/process_collector.h"
#include "metrics/registry.h"

namespace {

struct Options {
  std::string listen = "127.0.0.1:9464";
  std::string root = "/run/capsa";
  std::string pin_root = CAPSA_PIN_ROOT_DEFAULT;
  std::string events;
  uint64_t events_max_bytes = 64ULL << 20;
  int events_keep = 3;
  std::string policy_dir = "/etc/capsa/policies";
  std::string control_socket;
  capsa::LogFlags log;
  int sync_interval_ms = 1000;
  bool unpin = false;
  bool require_lsm = false;
  bool no_lsm = false;
  bool fd_keeper = false;
  bool bpf_stats = false;
  bool no_syscall_counts = false;
  bool landlock_events = false;
  uint32_t fowners_per_container = CAPSA_FOWNERS_PER_CONTAINER;
};

std::atomic<bool> g_stop{false};
httplib::Server* g_server = nullptr;

void on_signal(int) {
  g_stop = true;
  if (g_server) g_server->stop();
}

// capsad keeps a pidfd and a few cgroup files open per container (within
// daemon/fd_budget.h's share); systemd's default soft limit of 1024 would cap
// that near 200 containers. Nothing here uses select(2), so the hard limit
// is safe to take.
void raise_fd_limit() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
    spdlog::warn("cannot raise the open file limit to {}: {}", lim.rlim_max, capsa::errno_text(errno));
}

int serve(const Options& o) {
  using namespace capsa;
  // One malloc arena: glibc gives each thread that allocates (the HTTP pool's
  // eight, the sync and event threads) an arena of its own, and each keeps the
  // high-water mark of the scrapes it served; with 200 containers that was
  // ~20 MB of RSS more than one arena needs. capsad allocates rarely and from
  // few threads at once, so the shared lock costs nothing measurable.
  ::mallopt(M_ARENA_MAX, 1);
  raise_fd_limit();
  // From the start: a stop while loading ends the start cleanly (see undo).
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  auto addr = daemon::parse_listen_address(o.listen, "--listen");
  // One capsad per state root: two would fight over its pins, control
  // socket and fd keeper.
  make_dirs(o.root, 0711);
  UniqueFd lock(::open((o.root + "/capsad.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) throw_sys("open " + o.root + "/capsad.lock");
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
    throw Error(errno == EWOULDBLOCK ? "--root " + o.root + ": another capsad serves it (" + o.root + "/capsad.lock)"
                                     : "lock " + o.root + "/capsad.lock: " + errno_text(errno));
  // What a bad flag can fail is tried before anything is loaded: the port
  // (taken by another capsad, say) and the events file.
  httplib::Server server;
  if (!server.bind_to_port(addr.host.c_str(), addr.port))
    throw Error("--listen: cannot listen on " + o.listen + ": " + errno_text(errno));
  daemon::EventLog events(o.events, o.events_max_bytes, o.events_keep);
  bpf::ensure_bpffs_mounted();
  // A start that fails later (or is stopped before it serves) leaves no
  // pins of its own. Pins an earlier capsad left are not removed: the kernel
  // goes on enforcing through them (with the programs this start may already
  // have swapped in). Its fd keeper, holding nothing, ends with it.
  struct UndoFailedFreshStart {
    const Options& o;
    bool fresh;
    bool created_root;
    bool serving = false;
    ~UndoFailedFreshStart() {
      if (serving || !fresh) return;
      try {
        for (const char* dir : {CAPSA_PIN_MAPS_DIR, CAPSA_PIN_LINKS_DIR}) remove_tree(o.pin_root + "/" + dir);
        if (created_root) ::rmdir(o.pin_root.c_str());
        spdlog::info("start failed: removed the pins under {} it had made", o.pin_root);
      } catch (const std::exception& e) {
        spdlog::error("start failed, and removing the pins under {} it had made failed too: {}", o.pin_root, e.what());
      }
    }
  } undo{o, dir_is_empty_or_absent(o.pin_root), !path_exists(o.pin_root)};
  auto telemetry = bpf::Telemetry::load_and_pin(o.pin_root, !o.no_syscall_counts);
  daemon::KernelSync sync(telemetry, daemon::ContainerCatalog(o.root));
  auto layout = cgroup::detect_layout();
  auto policy_progs = bpf::PolicyProgs::load_and_pin(o.pin_root, layout.unified ? layout.unified->mount_point : "",
                                                     o.require_lsm ? bpf::PolicyProgs::LsmUse::kRequire
                                                     : o.no_lsm    ? bpf::PolicyProgs::LsmUse::kNever
                                                                   : bpf::PolicyProgs::LsmUse::kTry,
                                                     o.fowners_per_container);
  make_dirs(o.policy_dir, 0755);
  daemon::PolicyEnforcer enforcer(policy_progs, o.policy_dir);
  // Policies first: the first apply replaces what an earlier capsad left
  // pinned, and must not run with an empty policy set.
  enforcer.reload();
  enforcer.apply(*sync.sync().containers);
  auto sync_all = [&] { enforcer.apply(*sync.sync().containers); };

  metrics::Registry registry;
  daemon::register_build_info(registry);
  daemon::register_telemetry_metrics(registry, telemetry, sync);
  // After the telemetry collector: it syncs, so deleted containers are gone.
  daemon::register_cgroup_metrics(registry, layout, sync);
  daemon::register_policy_metrics(registry, policy_progs, enforcer, sync);
  daemon::register_bpf_program_metrics(registry, o.pin_root, o.bpf_stats);
  metrics::register_process_collector(registry);
  auto& scrape_seconds = registry.gauge(
      "capsa_scrape_duration_seconds", "Time the previous /metrics scrape took to collect and format, in seconds.", {});
  auto& events_seen = registry.counter("capsa_events_received_total", "Ring-buffer events capsad consumed.", {});

  // A container created since the last sync is found by syncing once more.
  auto container_of = [&sync](uint64_t cgroup_id) {
    for (int pass = 0; pass < 2; ++pass) {
      auto containers = pass == 0 ? sync.last() : sync.sync().containers;
      for (const auto& c : *containers)
        if (c.cgroup_id == cgroup_id) return c.id;
    }
    return std::string();
  };
  // A policy event as a JSON line, named by its container, policy and rule;
  // enforcer: who decided, when not the BPF programs.
  auto write_policy_event = [&](const capsa_policy_event& ev, const std::string& enforcer_name = "") {
    if (!events.enabled()) return;
    auto rule = enforcer.rule_name(ev.policy_id, ev.rule_id);
    events.write_policy(ev, container_of(ev.cgroup_id), rule ? rule->policy : "", rule ? rule->rule : "",
                        enforcer_name);
  };
  std::optional<daemon::LandlockAudit> landlock_audit;
  if (o.landlock_events) {
    const std::string cgroup2 = layout.unified ? layout.unified->mount_point : "";
    landlock_audit.emplace([&, cgroup2](const daemon::LandlockDenial& d, pid_t creator) {
      auto ev = daemon::landlock_policy_event(d, creator);
      // A creator in a cgroup its container made is the container's.
      ev.cgroup_id = creator > 0 && !cgroup2.empty()
                         ? policy_progs.container_cgroup(daemon::cgroup2_id_of_pid(creator, cgroup2))
                         : 0;
      auto rule = enforcer.landlock_rule(ev.cgroup_id, d.path, d.access);
      if (!rule) return;  // a domain capsa did not install (a host process's, or a pid reused since)
      ev.policy_id = rule->first;
      ev.rule_id = rule->second;
      if (ev.rule_id == CAPSA_RULE_ROOT_CONFINEMENT) ev.kind = CAPSA_KIND_ROOT_ESCAPE;
      if (ev.rule_id) policy_progs.count_hit(capsa_hit_key{ev.cgroup_id, ev.policy_id, ev.rule_id});
      events_seen.inc();
      write_policy_event(ev, "landlock");
    }, o.root + "/audit-restore.json");
    spdlog::info("Landlock refusals are reported as events (audit, {})", landlock_audit->mode());
  }
  // The seccomp tier for syscall rules. Listeners an earlier capsad left
  // with its fd keeper are taken back before a keeper of ours is started,
  // and their calls (waiting in the kernel since) are answered from here on.
  const bool task_confinement_by_seccomp = !policy_progs.tiers().lsm && layout.unified.has_value();
  daemon::SeccompSupervisor supervisor(
      policy_progs, [&](const capsa_policy_event& ev) { write_policy_event(ev); },
      layout.unified ? layout.unified->mount_point : "");
  auto previous = daemon::take_previous_listeners(o.root);
  std::mutex keeper_mu;
  std::optional<daemon::FdKeeper> keeper(daemon::FdKeeper::spawn(o.root, o.pin_root));
  for (auto& l : previous.listeners) {
    keeper->hold(l.fd.get(), l.info);
    supervisor.add(std::move(l.fd), l.info);
  }
  keeper->retire(std::move(previous.keeper_pidfd));
  // A keeper that died while we run (killed, OOM) is replaced and given
  // every listener again: until then a `kill -9 capsad` would close them.
  auto replace_keeper_if_gone = [&] {
    if (!keeper->gone()) return;
    spdlog::warn("fd keeper: gone; starting another and handing it {} listener(s)", supervisor.listeners());
    keeper.emplace(daemon::FdKeeper::spawn(o.root, o.pin_root));
    supervisor.for_each_listener([&](int fd, const daemon::ListenerInfo& info) { keeper->hold(fd, info); });
  };
  enforcer.set_seccomp_coverage([&supervisor](uint64_t cgid) { return supervisor.covered(cgid); });
  // Stopped and joined however serve() leaves from here on, an exception
  // included (a joinable std::thread would terminate). Declared after what
  // the threads use, so that outlives them.
  struct Workers {
    std::vector<std::thread> threads;
    ~Workers() {
      g_stop = true;
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } workers;
  // A ring buffer drained until stop; a failed read is logged and retried.
  auto drain = [&](const char* what, auto poll_once) {
    workers.threads.emplace_back([what, poll_once] {
      while (!g_stop) {
        try {
          poll_once();
        } catch (const std::exception& e) {
          spdlog::error("{}: {}", what, e.what());
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
      }
    });
  };
  drain("events", [&] {
    telemetry.poll_events(200, [&](const capsa_event& ev) {
      events_seen.inc();
      if (!events.enabled()) return;
      events.write(ev, container_of(ev.cgroup_id));
    });
  });
  drain("policy events", [&] {
    policy_progs.poll_events(200, [&](const capsa_policy_event& ev) {
      if (ev.kind == CAPSA_KIND_ENTRY) {
        enforcer.task_entered(ev.cgroup_id, ev.pid, ev.comm);
        return;
      }
      events_seen.inc();
      // A task the BPF tier could not kill itself: it entered a cgroup
      // beneath its container's that could not be bound as the container.
      if (ev.kind == CAPSA_KIND_CGROUP_ESCAPE && ev.target_pid) {
        const pid_t tid = static_cast<pid_t>(ev.target_pid);
        UniqueFd pidfd(daemon::thread_pidfd(tid));
        // Read with the pidfd open: the tid is that task's, and a task moved
        // on since is judged where it is now (by the cgroup's id: a path in
        // the event may be cut short).
        uint64_t now_in = 0;
        if (pidfd && layout.unified) {
          std::string path = daemon::cgroup2_path(tid);
          try {
            if (!path.empty()) now_in = bpf::cgroup_id_of(layout.unified->mount_point + path);
          } catch (const std::exception&) {
          }
        }
        if (pidfd && now_in && now_in != ev.ino) {
          spdlog::info("task {} left the unbound cgroup {} before it could be killed", tid, ev.ino);
        } else if (!pidfd || ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0) {
          if (errno != ESRCH)
            spdlog::error("kill task {} in the unbound cgroup {}: {}", tid, ev.ino, errno_text(errno));
        }
      }
      write_policy_event(ev);
    });
  });
  workers.threads.emplace_back([&] {
    while (!g_stop) {
      // Slices as long as the other threads' poll timeouts: each wakeup costs
      // idle CPU, and a stop waits no longer than for them.
      for (int waited = 0; waited < o.sync_interval_ms && !g_stop; waited += 200)
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(200, o.sync_interval_ms - waited)));
      try {
        sync_all();
      } catch (const std::exception& e) {
        spdlog::error("sync: {}", e.what());
      }
      try {
        std::lock_guard lock(keeper_mu);
        replace_keeper_if_gone();
      } catch (const std::exception& e) {
        spdlog::error("fd keeper: {}", e.what());
      }
    }
  });
  // A policy file written, renamed into place or removed is in force at once.
  workers.threads.emplace_back([&] {
    UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!in || ::inotify_add_watch(in.get(), o.policy_dir.c_str(),
                                   IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
      spdlog::error("policy: cannot watch {}: {} (changes apply at the next `capsactl policy apply`)", o.policy_dir,
                    errno_text(errno));
      return;
    }
    char buf[16384];
    while (!g_stop) {
      pollfd p{in.get(), POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      bool relevant = false;
      for (ssize_t n; (n = ::read(in.get(), buf, sizeof buf)) > 0;) {
        for (char* at = buf; at < buf + n;) {
          auto* ev = reinterpret_cast<inotify_event*>(at);
          std::string name = ev->len ? ev->name : "";
          if (!name.empty() && name[0] != '.' && (name.ends_with(".yaml") || name.ends_with(".yml"))) relevant = true;
          at += sizeof(inotify_event) + ev->len;
        }
      }
      if (!relevant) continue;
      try {
        auto t0 = std::chrono::steady_clock::now();
        auto report = enforcer.reload();
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        spdlog::info("policy: reloaded {} in {:.2f} ms ({} in force, {} error(s))", o.policy_dir, ms,
                     report.loaded.size(), report.errors.size());
      } catch (const std::exception& e) {
        spdlog::error("policy: reload: {}", e.what());
      }
    }
  });
  daemon::ControlServer control(o.control_socket.empty() ? daemon::default_control_socket(o.root) : o.control_socket,
                                [&](const nlohmann::json& req, UniqueFd passed) -> nlohmann::json {
    std::string cmd = req.value("cmd", "");
    if (cmd == "seccomp-candidates") {
      // Asked before the runtime starts a process in a container: the
      // syscalls to route here and, when its policy opted in, the file rules
      // to install as a Landlock ruleset (one round trip for both).
      nlohmann::json reply;
      try {
        // A container that shares our pid namespace can name host tasks:
        // its signal and ptrace calls come here unless BPF-LSM judges them.
        bool task_confinement = req.value("shares_pid_ns", false) && task_confinement_by_seccomp;
        reply = {{"ok", true},
                 {"syscalls", daemon::seccomp_candidates(enforcer.syscall_rule_numbers(), task_confinement)}};
        if (task_confinement)
          reply["routed_when"] = container::arg_routes_to_json(daemon::task_confinement_arg_routes());
        else if (task_confinement_by_seccomp)
          reply["routed_when"] = container::arg_routes_to_json(daemon::signal_owner_arg_routes());
        std::string id = req.value("container_id", "");
        auto annotations = req.value("annotations", std::map<std::string, std::string>{});
        uint64_t cgid = req.value("cgroup_id", uint64_t{0});
        if (!id.empty() && cgid)
          if (auto ll = enforcer.landlock_for(id, annotations, cgid, req.value("init", false),
                                              req.value("reports_landlock", false)))
            reply["landlock"] = {{"policy", ll->policy},
                                 {"policy_id", ll->policy_id},
                                 {"log", o.landlock_events},
                                 {"root", true},
                                 {"token", ll->token},
                                 {"rules", policy::landlock_denies_to_json(ll->denies)}};
      } catch (const nlohmann::json::exception& e) {
        return {{"ok", false}, {"error", std::string("seccomp-candidates: ") + e.what()}};
      }
      return reply;
    }
    if (cmd == "seccomp-listener") {
      if (!passed) return {{"ok", false}, {"error", "seccomp-listener: no descriptor attached"}};
      daemon::ListenerInfo info;
      try {
        info = daemon::listener_from_json(req);
      } catch (const nlohmann::json::exception& e) {
        return {{"ok", false}, {"error", std::string("seccomp-listener: ") + e.what()}};
      }
      // The keeper's copy first: from here on the listener outlives us.
      {
        std::lock_guard lock(keeper_mu);
        replace_keeper_if_gone();
        try {
          keeper->hold(passed.get(), info);
        } catch (const std::exception&) {
          if (!keeper->gone()) throw;  // died between the check and the hand-over
          replace_keeper_if_gone();
          keeper->hold(passed.get(), info);
        }
      }
      supervisor.add(std::move(passed), info);
      return {{"ok", true}};
    }
    if (cmd == "landlock-installed") {
      // The process that installed it, by the pidfd the runtime passes (its
      // own pid namespace may not be ours); else the pid it names.
      auto landlock_reporter = [](const nlohmann::json& r, int fd) -> uint32_t {
        if (fd >= 0) {
          auto p = daemon::pidfd_target(::getpid(), static_cast<uint64_t>(fd));
          return p && *p > 0 ? static_cast<uint32_t>(*p) : daemon::PolicyEnforcer::kPidUnknown;
        }
        return r.value("pid", 0u);
      };
      try {
        auto skipped = req.at("skipped");
        bool known = enforcer.landlock_installed(req.at("cgroup_id").get<uint64_t>(), req.at("token").get<uint64_t>(),
                                                 req.at("root").get<bool>(), skipped.is_array() && skipped.empty(),
                                                 landlock_reporter(req, passed.get()));
        if (!known) return {{"ok", false}, {"error", "landlock-installed: no such hand-out (token " +
                                                         req.at("token").dump() + ")"}};
      } catch (const nlohmann::json::exception& e) {
        return {{"ok", false}, {"error", std::string("landlock-installed: ") + e.what()}};
      }
      return {{"ok", true}};
    }
    if (cmd == "sync") {
      sync_all();
      return {{"ok", true}};
    }
    if (cmd == "reload") {
      auto report = enforcer.reload();
      return {{"ok", report.errors.empty()}, {"loaded", report.loaded}, {"errors", report.errors}};
    }
    if (cmd == "status") {
      auto st = enforcer.status();
      st["ok"] = true;
      return st;
    }
    return {{"ok", false},
            {"error", "unknown command \"" + cmd +
                          "\" (expected sync, reload, status, seccomp-candidates or seccomp-listener)"}};
  });

  g_server = &server;
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    auto t0 = std::chrono::steady_clock::now();
    try {
      std::string body = metrics::to_text(registry.collect());
      scrape_seconds.set(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      res.set_content(body, metrics::kTextContentType);
    } catch (const std::exception& e) {
      spdlog::error("scrape: {}", e.what());
      res.status = 500;
      res.set_content(std::string("scrape failed: ") + e.what() + "\n", "text/plain");
    }
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("capsad: metrics at /metrics\n", "text/plain");
  });

  if (g_stop) {
    spdlog::info("stopped before serving");
    return 0;
  }
  undo.serving = true;
  spdlog::info("capsad {} serving metrics on http://{}/metrics (state root {}, pins under {})", capsa::kVersion,
               o.listen, o.root, o.pin_root);
  if (!g_stop) server.listen_after_bind();
  // Pins stay: the kernel keeps counting until capsad comes back (or --unpin).
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"capsad: capsa's daemon: BPF telemetry for containers, Prometheus metrics", "capsad"};
  app.set_version_flag("-v,--version", std::string("capsad version ") + capsa::kVersion + "\ncommit: " + capsa::kGitCommit);
  app.add_option("--listen", o.listen, "address for GET /metrics")->capture_default_str();
  app.add_option("--root", o.root, "the runtime's state directory (capsa --root)")->capture_default_str();
  app.add_option("--bpf-pin-root", o.pin_root, "bpffs directory for pinned maps and links")->capture_default_str();
  app.add_option("--events", o.events, "write BPF events as JSON lines to this file ('-' for stdout)");
  app.add_option("--events-max-bytes", o.events_max_bytes, "rotate the events file at this size (0: never)");
  app.add_option("--events-keep", o.events_keep, "rotated events files kept (FILE.1 ... FILE.N)")
      ->check(CLI::Range(1, 100));
  app.add_option("--sync-interval-ms", o.sync_interval_ms, "how often to re-read the state directory")
      ->capture_default_str()->check(CLI::Range(10, 600000));
  app.add_option("--policy-dir", o.policy_dir, "directory of YAML policies, watched for changes")->capture_default_str();
  app.add_option("--control-socket", o.control_socket, "unix socket for capsactl and the runtime (default <root>/capsad.sock)");
  app.add_flag("--bpf-stats", o.bpf_stats,
               "export runs and run time of capsad's BPF programs (enables the kernel's BPF run-time stats, "
               "~60 ns more per run of every BPF program on the host)");
  app.add_flag("--no-syscall-counts", o.no_syscall_counts,
               "do not count containers' system calls (capsa_container_syscalls_total and _by_name_total are not "
               "exported): counting hooks every system call of every task on the host, ~60-100 ns each here");
  app.add_flag("--landlock-events", o.landlock_events,
               "report Landlock's refusals (policies with files.landlock: true) as events, read from the audit "
               "subsystem: where no audit daemon runs capsad becomes it (audit on, rule task,never so no task is "
               "audited per syscall, all put back at exit); beside auditd it reads the multicast group");
  app.add_option("--fowners-per-container", o.fowners_per_container,
                 "BPF-LSM tier: how many open files with an owner (F_SETOWN and kin) one container may hold; "
                 "each owner set past it kills its setter, so no container fills the map all containers share")
      ->capture_default_str()->check(CLI::Range(1u, uint32_t{CAPSA_FOWNERS_MAX}));
  auto* require = app.add_flag("--require-lsm", o.require_lsm,
                               "fail at start unless the BPF-LSM programs load and attach (no tracepoint fallback)");
  app.add_flag("--no-lsm", o.no_lsm,
               "do not load the BPF-LSM programs even where the kernel allows them: the tracepoint tier decides "
               "(to compare tiers, or to step around an LSM hook)")
      ->excludes(require);
  app.add_flag("--unpin", o.unpin,
               "remove every pinned program, link and map, end the fd keeper of --root, then exit");
  app.add_flag("--fd-keeper", o.fd_keeper, "internal: hold seccomp listeners across capsad restarts (fd 3)")
      ->group("");
  capsa::add_log_flags(app, o.log);
  return capsa::run_main(app, argc, argv, o.log, [&] {
    // capsad is a service: its info lines (where it listens) belong on stderr.
    if (o.log.file.empty()) spdlog::set_level(o.log.debug ? spdlog::level::debug : spdlog::level::info);
    if (o.fd_keeper) return capsa::daemon::run_fd_keeper(3, o.root, o.pin_root);
    if (o.unpin) {
      capsa::daemon::stop_fd_keeper(o.root, o.pin_root);
      capsa::bpf::Telemetry::unpin_all(o.pin_root);
      return 0;
    }
    return serve(o);
  });
}
