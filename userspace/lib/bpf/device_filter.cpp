#include "bpf/device_filter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>

#include <utility>

#include "bpf/libbpf_util.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "oci_devices.h"
#include "oci_devices.skel.h"

namespace capsa::bpf {

static_assert(CAPSA_OCI_DEV_BLOCK == BPF_DEVCG_DEV_BLOCK && CAPSA_OCI_DEV_CHAR == BPF_DEVCG_DEV_CHAR);
static_assert(CAPSA_OCI_ACC_MKNOD == BPF_DEVCG_ACC_MKNOD && CAPSA_OCI_ACC_READ == BPF_DEVCG_ACC_READ &&
              CAPSA_OCI_ACC_WRITE == BPF_DEVCG_ACC_WRITE);

namespace {

uint32_t bpf_number(int64_t n) { return n < 0 ? CAPSA_OCI_DEV_WILDCARD : static_cast<uint32_t>(n); }

}  // namespace

DeviceFilter DeviceFilter::load(const cgroup::DevicePolicy& policy) {
  if (policy.exceptions.size() > CAPSA_OCI_DEV_MAX_RULES)
    throw Error("linux.resources.devices: " + std::to_string(policy.exceptions.size()) + " device rules, at most " +
                std::to_string(CAPSA_OCI_DEV_MAX_RULES) + " are supported");
  route_libbpf_log();
  DeviceFilter f;
  f.skel_ = oci_devices_bpf__open();
  if (!f.skel_) throw_bpf("open BPF object oci_devices", -errno);
  f.skel_->rodata->rule_count = static_cast<uint32_t>(policy.exceptions.size());
  f.skel_->rodata->default_allow = policy.default_allow ? 1 : 0;
  if (int err = oci_devices_bpf__load(f.skel_)) throw_bpf("load the device access BPF program (oci_devices)", err);
  int map_fd = bpf_map__fd(f.skel_->maps.oci_dev_rules);
  for (uint32_t i = 0; i < policy.exceptions.size(); ++i) {
    const auto& e = policy.exceptions[i];
    capsa_oci_dev_rule rule{e.type == 'b' ? CAPSA_OCI_DEV_BLOCK : CAPSA_OCI_DEV_CHAR, bpf_number(e.major),
                            bpf_number(e.minor), e.access};
    if (bpf_map_update_elem(map_fd, &i, &rule, BPF_ANY) != 0)
      throw_sys("write device rule " + e.to_string() + " to BPF map oci_dev_rules");
  }
  // Nothing may change a container's device rules behind its config.
  if (bpf_map_freeze(map_fd) != 0) throw_sys("freeze BPF map oci_dev_rules");
  return f;
}

DeviceFilter::DeviceFilter(DeviceFilter&& o) noexcept : skel_(std::exchange(o.skel_, nullptr)) {}

DeviceFilter::~DeviceFilter() {
  if (skel_) oci_devices_bpf__destroy(skel_);
}

void DeviceFilter::attach(const std::string& cgroup_dir) const {
  UniqueFd cg(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) throw_sys("linux.resources.devices: open cgroup " + cgroup_dir);
  int prog_fd = bpf_program__fd(skel_->progs.capsa_oci_dev);
  if (int err = bpf_prog_attach(prog_fd, cg.get(), BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI))
    throw_bpf("linux.resources.devices: attach the device access BPF program to cgroup " + cgroup_dir, err);
}

uint32_t DeviceFilter::prog_id() const {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (int err = bpf_obj_get_info_by_fd(bpf_program__fd(skel_->progs.capsa_oci_dev), &info, &len))
    throw_bpf("read the id of the device access BPF program", err);
  return info.id;
}

}  // namespace capsa::bpf
