// capsa update: change a running container's cgroup resources, from runc's
// flags or from a linux.resources JSON object (-r FILE, "-" for stdin).
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <iterator>
#include <optional>

#include <spdlog/spdlog.h>

#include "cgroup/container_cgroup.h"
#include "cgroup/layout.h"
#include "cli.h"
#include "common/error.h"
#include "common/file_util.h"
#include "spec/parse.h"

namespace capsa::cli {

namespace {

struct UpdateFlags {
  std::string id;
  std::string resources_file;
  std::string memory, memory_reservation, memory_swap, kernel_memory, kernel_memory_tcp;
  std::optional<uint64_t> cpu_period, cpu_rt_period, cpu_share, blkio_weight;
  std::optional<int64_t> cpu_quota, cpu_rt_runtime, pids_limit;
  std::string cpuset_cpus, cpuset_mems, l3_cache_schema, mem_bw_schema;
};

// runc's sizes (docker's RAMInBytes): "1024", "512k", "64m", "1.5g", "2GiB";
// binary multiples; "-1" means unlimited.
int64_t parse_byte_size(const std::string& text, const std::string& flag) {
  auto bad = [&] { return Error(flag + ": invalid size \"" + text + "\" (expected e.g. 512m, 1g, 1048576 or -1)"); };
  if (text == "-1") return -1;
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) throw bad();
  double number;
  try {
    size_t used;
    number = std::stod(text.substr(0, i), &used);
    if (used != i) throw bad();
  } catch (const std::logic_error&) {
    throw bad();
  }
  std::string unit = text.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() >= 2 && unit.substr(unit.size() - 2) == "ib") unit.resize(unit.size() - 2);
  else if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  static const std::string kUnits = "kmgtp";
  double mult = 1;
  if (unit.size() > 1) throw bad();
  if (unit.size() == 1) {
    auto pos = kUnits.find(unit[0]);
    if (pos == std::string::npos) throw bad();
    mult = std::pow(1024.0, static_cast<double>(pos + 1));
  }
  double bytes = number * mult;
  if (bytes >= 9.2e18) throw bad();
  return static_cast<int64_t>(bytes);
}

spec::Resources from_flags(const UpdateFlags& f) {
  if (!f.l3_cache_schema.empty()) throw Error("--l3-cache-schema: Intel RDT is not supported");
  if (!f.mem_bw_schema.empty()) throw Error("--mem-bw-schema: Intel RDT is not supported");
  if (!f.kernel_memory.empty() || !f.kernel_memory_tcp.empty())
    spdlog::warn("--kernel-memory and --kernel-memory-tcp are ignored, as by runc: the kernel dropped kmem limits");
  spec::Resources r;
  if (!f.memory.empty() || !f.memory_reservation.empty() || !f.memory_swap.empty()) {
    spec::MemoryResources m;
    if (!f.memory.empty()) m.limit = parse_byte_size(f.memory, "--memory");
    if (!f.memory_reservation.empty()) m.reservation = parse_byte_size(f.memory_reservation, "--memory-reservation");
    if (!f.memory_swap.empty()) m.swap = parse_byte_size(f.memory_swap, "--memory-swap");
    r.memory = m;
  }
  if (f.cpu_period || f.cpu_quota || f.cpu_share || f.cpu_rt_period || f.cpu_rt_runtime || !f.cpuset_cpus.empty() ||
      !f.cpuset_mems.empty()) {
    spec::CpuResources c;
    c.period = f.cpu_period;
    c.quota = f.cpu_quota;
    c.shares = f.cpu_share;
    c.realtime_period = f.cpu_rt_period;
    c.realtime_runtime = f.cpu_rt_runtime;
    c.cpus = f.cpuset_cpus;
    c.mems = f.cpuset_mems;
    r.cpu = c;
  }
  if (f.blkio_weight) {
    // The runtime-spec's range, as config.json's blockIO.weight is checked.
    if (*f.blkio_weight < 10 || *f.blkio_weight > 1000)
      throw Error("--blkio-weight: expected 10 to 1000, got " + std::to_string(*f.blkio_weight));
    spec::BlockIoResources b;
    b.weight = static_cast<uint16_t>(*f.blkio_weight);
    r.block_io = b;
  }
  if (f.pids_limit) {
    if (*f.pids_limit == 0 || *f.pids_limit < -1) throw Error("--pids-limit: must be positive, or -1 for no limit");
    r.pids = spec::PidsResources{*f.pids_limit};
  }
  return r;
}

bool any_flag(const UpdateFlags& f) {
  return !f.memory.empty() || !f.memory_reservation.empty() || !f.memory_swap.empty() || !f.kernel_memory.empty() ||
         !f.kernel_memory_tcp.empty() || f.cpu_period || f.cpu_rt_period || f.cpu_share || f.blkio_weight ||
         f.cpu_quota || f.cpu_rt_runtime || f.pids_limit || !f.cpuset_cpus.empty() || !f.cpuset_mems.empty() ||
         !f.l3_cache_schema.empty() || !f.mem_bw_schema.empty();
}

}  // namespace

void add_update(CLI::App& app, Context ctx) {
  auto f = std::make_shared<UpdateFlags>();
  auto* cmd = app.add_subcommand("update", "update the cgroup resources of a container");
  cmd->add_option("-r,--resources", f->resources_file,
                  "path to a JSON file with the linux.resources to apply (\"-\" reads stdin)");
  cmd->add_option("--blkio-weight", f->blkio_weight, "block IO weight (10..1000)");
  cmd->add_option("--cpu-period", f->cpu_period, "CPU CFS period in microseconds");
  cmd->add_option("--cpu-quota", f->cpu_quota, "CPU CFS quota in microseconds per period");
  cmd->add_option("--cpu-rt-period", f->cpu_rt_period, "CPU realtime period in microseconds");
  cmd->add_option("--cpu-rt-runtime", f->cpu_rt_runtime, "CPU realtime runtime in microseconds");
  cmd->add_option("--cpu-share", f->cpu_share, "CPU shares (relative weight)");
  cmd->add_option("--cpuset-cpus", f->cpuset_cpus, "CPUs allowed (e.g. 0-1)");
  cmd->add_option("--cpuset-mems", f->cpuset_mems, "memory nodes allowed (e.g. 0)");
  cmd->add_option("--kernel-memory", f->kernel_memory, "ignored (kernel memory limits no longer exist)");
  cmd->add_option("--kernel-memory-tcp", f->kernel_memory_tcp, "ignored (kernel memory limits no longer exist)");
  cmd->add_option("--memory", f->memory, "memory limit (e.g. 512m, -1 for none)");
  cmd->add_option("--memory-reservation", f->memory_reservation, "memory soft limit");
  cmd->add_option("--memory-swap", f->memory_swap, "memory plus swap limit (-1 for none)");
  cmd->add_option("--pids-limit", f->pids_limit, "maximum number of processes (-1 for none)");
  cmd->add_option("--l3-cache-schema", f->l3_cache_schema, "Intel RDT L3 cache schema (not supported)");
  cmd->add_option("--mem-bw-schema", f->mem_bw_schema, "Intel RDT memory bandwidth schema (not supported)");
  cmd->add_option("container-id", f->id, "container id")->required();
  cmd->callback([f, ctx] {
    ctx.action = [f, g = &ctx.global] {
      spec::Resources r;
      if (!f->resources_file.empty()) {
        if (any_flag(*f)) throw Error("--resources: cannot be combined with resource flags");
        std::string text, origin = f->resources_file;
        if (f->resources_file == "-") {
          text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
          origin = "<stdin>";
        } else {
          text = read_file(f->resources_file);
        }
        r = spec::parse_resources_json(text, origin);
        // containerd sends the whole linux.resources, devices included; runc
        // skips them on update too, so warn instead of refusing.
        if (!r.devices.empty())
          spdlog::warn("{}: devices: ignored, as by runc: device rules are fixed when the "
                       "container is created", origin);
      } else {
        if (!any_flag(*f)) throw Error("update: nothing to update (give resource flags or --resources FILE)");
        r = from_flags(*f);
      }
      auto dir = g->store().open(f->id, state::LockMode::Exclusive);
      auto st = dir.load();
      if (!st) throw Error("container " + f->id + " is still being created");
      if (dir.status(*st) == state::Status::Stopped) throw Error("container not running");
      cgroup::ContainerCgroup::from_json(st->cgroup).apply(cgroup::detect_layout(), r);
      return 0;
    };
  });
}

}  // namespace capsa::cli
